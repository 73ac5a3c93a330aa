"""End to end (H10): the daily retention timer purges old rows of the escalations table and
audits the purge."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from shared.escalation.store import TableEscalationStore
from shared.observability.audit import EVENT
from shared.observability.observer import Observability
from tests.integration.conftest import Gateway

Start = Callable[..., tuple[Gateway, Observability]]
DAY_S = 86_400.0


@pytest.mark.integration
@pytest.mark.safety("H10")
def test_the_retention_timer_purges_old_escalation_rows_and_audits_it(
    observed_gateway: Start,
) -> None:
    """A 100-day-old escalation row is gone after the audit_retention timer runs, a new one
    stays, and an escalation_retention_purge event records the purge."""
    gateway, observed = observed_gateway()
    table = TableEscalationStore.for_settings(gateway.runtime.settings)._table
    old = TableEscalationStore(table, clock_ns=lambda: int((time.time() - 100 * DAY_S) * 1e9))
    old.audit("esc-old", "started", {"category": "self_harm"})
    TableEscalationStore(table).audit("esc-new", "started", {"category": "self_harm"})

    gateway.host.run_timer("audit_retention")

    assert old.history("esc-old") == []
    assert [row["event"] for row in old.history("esc-new")] == ["started"]
    observed.trail.drain(10.0)
    now = time.time()
    purges = [
        e
        for e in observed.trail.events(EVENT, now - 60, now + 1, 20)
        if e.name == "escalation_retention_purge"
    ]
    assert len(purges) == 1
    assert purges[0].fields["deleted"] >= 1
