"""Observability subscribes to the events port: one subscription per runtime, every event kind."""

from __future__ import annotations

from shared.events import Audited, EscalationSent, HealthChecked
from shared.models import Outcome
from shared.observability.audit import EVENT, MemoryAuditStore, day_partition
from tests.observability.capture import Captured
from tests.observability.helpers import START, failover_record, unit_runtime


def test_one_answered_request_is_one_audit_row(otel: Captured) -> None:
    """The runtime's observability is subscribed once, so one record gives one audit row."""
    store = MemoryAuditStore()
    runtime = unit_runtime(otel=otel, audit=store)
    runtime.events.emit(failover_record())
    assert runtime.observability.trail.drain(5.0)
    assert len(store.rows(day_partition(START), "chat-", "chat.")) == 1


def test_answered_request_reaches_telemetry(otel: Captured) -> None:
    """A chat record on the events port is counted in askeve.chat.requests."""
    runtime = unit_runtime(otel=otel)
    runtime.events.emit(failover_record())
    assert len(otel.points()["askeve.chat.requests"]) == 1


def test_breaker_opening_queues_a_provider_failure_alert(otel: Captured) -> None:
    """A breaker tripping on this instance reaches the SLA monitor, which queues an alert."""
    runtime = unit_runtime(otel=otel)
    for _ in range(3):
        runtime.breakers.record("openai", Outcome.UNAVAILABLE)
    assert runtime.alerts.pending == 1
    assert otel.points()["askeve.breaker.transitions"][0][0]["to_state"] == "open"


def test_health_and_escalation_events_are_counted(otel: Captured) -> None:
    """Health checks and escalation deliveries reach their counters through the port."""
    runtime = unit_runtime(otel=otel)
    runtime.events.emit(HealthChecked("openai", "timeout"))
    runtime.events.emit(EscalationSent("clinical", "teams", "delivered"))
    points = otel.points()
    assert points["askeve.health.checks"][0][0]["provider"] == "openai"
    assert points["askeve.escalations"][0][0]["channel"] == "teams"


def test_audit_events_reach_the_trail(otel: Captured) -> None:
    """An Audited event becomes an event row of the audit trail."""
    store = MemoryAuditStore()
    runtime = unit_runtime(otel=otel, audit=store)
    runtime.events.emit(Audited("key_rotated", {"provider": "openai"}))
    assert runtime.observability.trail.drain(5.0)
    rows = store.rows(day_partition(START + 1), f"{EVENT}-", f"{EVENT}.")
    assert [row["name"] for row in rows] == ["key_rotated"]
