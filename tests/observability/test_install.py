"""install(): one Observability per runtime, on the observer and breaker hooks."""

from __future__ import annotations

from shared.breakers.service import BreakerService
from shared.breakers.store import InMemoryBreakerStore
from shared.escalation.alerts import queue_for
from shared.models import Outcome
from shared.observability import observer as observability
from shared.observability.audit import MemoryAuditStore, day_partition
from shared.observability.observer import install, installed
from shared.runtime import Runtime
from tests.observability.capture import Captured
from tests.observability.helpers import START, ManualClock, failover_record, unit_runtime


def breakers_for(runtime: Runtime) -> BreakerService:
    return BreakerService.for_config(
        InMemoryBreakerStore(), runtime.config.failover, clock=ManualClock()
    )


def installed_with_memory(runtime: Runtime, otel: Captured) -> tuple[MemoryAuditStore, object]:
    store = MemoryAuditStore()
    runtime.use_breakers(breakers_for(runtime))
    found = install(
        runtime,
        tracer_provider=otel.tracer_provider,
        meter_provider=otel.meter_provider,
        audit_store=lambda: store,
        clock=ManualClock(START + 1),
    )
    return store, found


def test_install_is_idempotent(otel: Captured) -> None:
    """Installing twice gives the same object and one observer, so one audit row per request."""
    runtime = unit_runtime()
    store, first = installed_with_memory(runtime, otel)
    assert install(runtime) is first
    runtime.observers.chat_completed(failover_record())
    assert installed(runtime) is first
    assert first.trail.drain(5.0)  # type: ignore[attr-defined]
    assert len(store.rows(day_partition(START), "chat-", "chat.")) == 1


def test_answered_request_reaches_telemetry(otel: Captured) -> None:
    """The observer records askeve.chat.requests for each answered request."""
    runtime = unit_runtime()
    installed_with_memory(runtime, otel)
    runtime.observers.chat_completed(failover_record())
    assert len(otel.points()["askeve.chat.requests"]) == 1


def test_breaker_opening_queues_a_provider_failure_alert(otel: Captured) -> None:
    """A breaker tripping on this instance queues a provider-failure alert to flush."""
    runtime = unit_runtime()
    installed_with_memory(runtime, otel)
    for _ in range(3):
        runtime.breakers.record("openai", Outcome.UNAVAILABLE)
    assert queue_for(runtime).pending == 1
    assert otel.points()["askeve.breaker.transitions"][0][0]["to_state"] == "open"


def test_reinstall_attaches_to_a_replaced_breaker_service(otel: Captured) -> None:
    """After use_breakers, install() listens to the new service too (and only once)."""
    runtime = unit_runtime()
    installed_with_memory(runtime, otel)
    runtime.use_breakers(breakers_for(runtime))
    install(runtime)
    install(runtime)
    for _ in range(3):
        runtime.breakers.record("anthropic", Outcome.TIMEOUT)
    assert [a for a, _ in otel.points()["askeve.breaker.transitions"]] == [
        {"provider": "anthropic", "from_state": "closed", "to_state": "open"}
    ]


def test_helpers_do_nothing_without_observability() -> None:
    """Call sites need no conditions: the helpers are no-ops on a bare runtime."""
    runtime = unit_runtime()
    observability.escalation_sent(runtime, "clinical", "teams", "delivered")
    observability.health_checked(runtime, [])
    observability.audit_event(runtime, "key_rotated", {"provider": "openai"})
    with (
        observability.chat_span(runtime),
        observability.attempt_span(runtime, None, provider="openai", tier=1) as span,
    ):
        span.outcome("ok")
    assert installed(runtime) is None
