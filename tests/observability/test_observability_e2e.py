"""Audit trail, alerts, retention and the status data, end to end on the dev host."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.observability.audit import EVENT, chat_entity
from shared.observability.observer import Observability
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import ADMIN_KEY, FUNCTION_KEY, Gateway
from tests.integration.test_chat_e2e import wait_for
from tests.observability.conftest import config_variant
from tests.observability.helpers import failover_record

pytestmark = pytest.mark.integration

Start = Callable[..., tuple[Gateway, Observability]]
QUESTION = "What are the early signs of womb cancer?"
SELF_HARM = "I can't go on anymore, I want to end my life"
DAY = 86_400.0


def operations_titles(gateway: Gateway) -> list[str]:
    return [
        str(r.body["attachments"][0]["content"]["body"][0]["text"])
        for r in gateway.webhook.received
        if r.path == "/operations"
    ]


def test_each_chat_request_leaves_one_audit_row(observed_gateway: Start) -> None:
    """A normal and a failover request give two rows with tiers and attempts, no raw id."""
    gateway, observed = observed_gateway()
    conversation = f"conv-{uuid.uuid4().hex}"
    gateway.chat(QUESTION, conversation)
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    gateway.chat(QUESTION, conversation)
    assert observed.trail.drain(10.0)
    now = time.time()
    rows = observed.trail.records(now - 60, now + 1, limit=10)
    assert [(r.tier, r.provider) for r in rows] == [(1, "openai"), (2, "azure_openai")]
    assert [a.outcome.value for a in rows[1].attempts] == ["unavailable", "ok"]
    assert all((r.conversation_ref or "").startswith("ref-") for r in rows)
    assert conversation not in json.dumps([chat_entity(r, "ok") for r in rows], default=str)


@pytest.mark.safety("H11")
def test_breaker_opening_alerts_operations(observed_gateway: Start) -> None:
    """Tier 1 failing until its breaker opens sends a provider-failure alert to /operations."""
    gateway, _ = observed_gateway()
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    for _ in range(3):
        gateway.chat(QUESTION)
    assert wait_for(lambda: any("[provider-failure]" in t for t in operations_titles(gateway)))
    (title,) = [t for t in operations_titles(gateway) if "[provider-failure]" in t]
    assert "openai" in title


@pytest.mark.safety("H11")
def test_three_slow_crisis_replies_alert_operations(
    observed_gateway: Start, tmp_path: Path
) -> None:
    """With a 1 ms crisis target, the third crisis reply raises crisis-sla-violations."""
    variant = config_variant(tmp_path / "variant", crisis_response_s=0.001)
    gateway, observed = observed_gateway(extra={"ASKEVE_CONFIG_DIR": str(variant)})
    for index in range(2):
        gateway.chat(SELF_HARM, f"conversation-{index}")
    assert observed.monitor.snapshot().open_alerts == (), "two violations raise nothing"
    gateway.chat(SELF_HARM, "conversation-3")
    assert wait_for(lambda: any("[crisis-sla-violations]" in t for t in operations_titles(gateway)))


@pytest.mark.safety("H11")
def test_alerts_are_audited(observed_gateway: Start) -> None:
    """A flushed alert is written to the audit table as an alert row."""
    gateway, observed = observed_gateway()
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    for _ in range(3):
        gateway.chat(QUESTION)
    now = time.time()

    def audited() -> bool:
        observed.trail.drain(5.0)
        rows = observed.trail.events("alert", now - 60, time.time() + 1, limit=10)
        return any(e.name == "provider-failure" for e in rows)

    assert wait_for(audited)


@pytest.mark.safety("H10")
def test_retention_timer_purges_old_rows_and_audits_it(observed_gateway: Start) -> None:
    """The audit_retention timer deletes rows older than 90 days and records the purge."""
    gateway, observed = observed_gateway()
    store = observed.trail.store()
    old = chat_entity(failover_record(at=time.time() - 100 * DAY), "ok")
    store.append(old)
    gateway.host.run_timer("audit_retention")
    assert store.rows(old["PartitionKey"], "chat-", "chat.") == []
    now = time.time()
    events = observed.trail.events(EVENT, now - 60, now + 1, 10)
    purges = [e for e in events if e.name == "retention_purge"]
    assert len(purges) == 1
    assert purges[0].fields["deleted"] >= 1


def status(gateway: Gateway, path: str = "/api/status.json", key: str = ADMIN_KEY) -> Any:
    return gateway.get(path, key=key)


def test_status_json_needs_the_admin_key(observed_gateway: Start) -> None:
    """The function key the bot holds does not open the status data."""
    gateway, _ = observed_gateway()
    assert status(gateway, key=FUNCTION_KEY).status_code in (401, 403)
    assert status(gateway).status_code == 200


def test_status_json_reports_tiers_requests_and_failovers(observed_gateway: Start) -> None:
    """After a normal and a failover request, status.json shows both, from the audit table."""
    gateway, observed = observed_gateway()
    gateway.chat(QUESTION)
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    gateway.chat(QUESTION)
    observed.trail.drain(10.0)
    data = status(gateway).json()
    assert data["source"] == "audit"
    assert [t["name"] for t in data["tiers"]] == [
        "openai",
        "azure_openai",
        "anthropic",
        "emergency",
    ]
    assert data["totals"]["requests"] == 2
    assert [f["answered_by"] for f in data["recent_failovers"]] == ["azure_openai"]


def test_status_json_rejects_an_unknown_window(observed_gateway: Start) -> None:
    """Only 1h, 24h and 7d are offered."""
    gateway, _ = observed_gateway()
    assert status(gateway, "/api/status.json?window=30d").status_code == 400


@pytest.mark.safety("H03")
def test_status_lists_crisis_escalations_until_acknowledged(observed_gateway: Start) -> None:
    """A crisis escalation shows as awaiting acknowledgement, then as acknowledged."""
    gateway, _ = observed_gateway()
    gateway.chat(SELF_HARM, f"conv-{uuid.uuid4().hex}")

    def awaiting() -> list[str]:
        rows = status(gateway).json()["escalations"]
        return [e["id"] for e in rows if e["kind"] == "crisis" and not e["acknowledged"]]

    assert wait_for(lambda: bool(awaiting()))
    escalation_id = awaiting()[-1]
    acknowledged = gateway.post(f"/api/escalations/{escalation_id}/ack", b"", key=ADMIN_KEY)
    assert acknowledged.status_code == 200
    assert wait_for(lambda: escalation_id not in awaiting())
