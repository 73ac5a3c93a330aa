"""The "channel gave up" alert is claimed once per audience and channel per window, in the
escalations table, so every instance and every escalation shares one de-duplication."""

from __future__ import annotations

import pytest

from shared.escalation import Escalator
from shared.escalation.store import MemoryEscalationStore
from tests.observability.helpers import unit_runtime
from tests.support.clocks import ManualClock

HOUR_S = 3600.0


def escalator(clock: ManualClock) -> Escalator:
    runtime = unit_runtime()
    runtime.escalator.store = MemoryEscalationStore()
    runtime.escalator.clock = clock
    return runtime.escalator


@pytest.mark.safety("H03")
def test_a_channel_is_alerted_once_per_hour_per_audience() -> None:
    """The clinical Teams channel: alerted, then held back for the hour, then alerted again;
    the clinical e-mail and the supervisor's Teams channel are claimed on their own."""
    clock = ManualClock(1_800_000_000.0)
    claims = escalator(clock).claim_channel_alert
    assert claims("clinical", "teams", HOUR_S) is True
    clock.advance(HOUR_S - 1)
    assert claims("clinical", "teams", HOUR_S) is False
    assert claims("clinical", "email", HOUR_S) is True
    assert claims("supervisor", "teams", HOUR_S) is True
    clock.advance(1)
    assert claims("clinical", "teams", HOUR_S) is True


@pytest.mark.safety("H03")
def test_a_claim_the_store_cannot_make_alerts_anyway() -> None:
    """Storage trouble never silences the alert: the claim answers True."""

    class BrokenStore(MemoryEscalationStore):
        def claim(self, key: str, now: float, window_s: float) -> bool:
            raise OSError("table unreachable")

    runtime = unit_runtime()
    runtime.escalator.store = BrokenStore()
    assert runtime.escalator.claim_channel_alert("clinical", "teams", HOUR_S) is True
