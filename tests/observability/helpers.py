"""Builders and fakes shared by the observability tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.bootstrap import assemble
from shared.breakers.store import InMemoryBreakerStore
from shared.escalation.store import MemoryEscalationStore
from shared.events import ChatRecord
from shared.failover.plan import EMERGENCY
from shared.models import Attempt, Outcome
from shared.observability.audit import MemoryAuditStore
from shared.platform.config import load_config
from shared.platform.settings import Settings
from shared.runtime import Runtime
from tests.observability.capture import Captured
from tests.support import clocks

START = 1_800_000_000.0


class ManualClock(clocks.ManualClock):
    """Epoch seconds from START, moved by hand."""

    def __init__(self, start: float = START) -> None:
        super().__init__(start)


def attempt(provider: str, outcome: str = "ok", ms: float = 100.0) -> Attempt:
    return Attempt(provider, Outcome(outcome), ms)


def record(
    *,
    at: float = START,
    tier: int = 1,
    provider: str = "openai",
    attempts: tuple[Attempt, ...] | None = None,
    crisis: bool = False,
    category: str | None = None,
    latency_ms: float = 250.0,
    status: int = 200,
    conversation_ref: str | None = "ref-0123456789abcdef",
) -> ChatRecord:
    """A chat record; by default tier 1 answered at once."""
    if attempts is None:
        attempts = () if crisis or provider == EMERGENCY else (attempt(provider),)
    return ChatRecord(
        at=datetime.fromtimestamp(at, UTC),
        request_id=f"chatcmpl-{int(at * 1000)}",
        conversation_ref=conversation_ref,
        tier=tier,
        provider=provider,
        attempts=attempts,
        crisis=crisis,
        crisis_category=category,
        escalated=crisis,
        degraded=tier != 1 and not crisis,
        simulated=True,
        latency_ms=latency_ms,
        status=status,
    )


def failover_record(at: float = START, switch_ms: float = 600.0) -> ChatRecord:
    """Tier 1 timed out; tier 2 answered."""
    return record(
        at=at,
        tier=2,
        provider="azure_openai",
        attempts=(attempt("openai", "timeout", switch_ms), attempt("azure_openai", "ok", 300.0)),
        latency_ms=switch_ms + 300.0,
    )


def emergency_record(at: float = START) -> ChatRecord:
    """Every tier failed: the emergency text."""
    return record(
        at=at,
        tier=4,
        provider=EMERGENCY,
        attempts=(
            attempt("openai", "unavailable", 10.0),
            attempt("azure_openai", "timeout", 3000.0),
            attempt("anthropic", "breaker_open", 0.0),
        ),
        latency_ms=3100.0,
    )


def crisis_record(at: float = START, latency_ms: float = 40.0) -> ChatRecord:
    return record(
        at=at, tier=4, provider=EMERGENCY, crisis=True, category="self_harm", latency_ms=latency_ms
    )


def unit_runtime(
    *, otel: Captured | None = None, audit: MemoryAuditStore | None = None, **settings: Any
) -> Runtime:
    """A runtime with no providers, the repo's config, and in-memory breakers, escalations
    and audit trail; telemetry goes to ``otel`` when given."""
    store = audit or MemoryAuditStore()
    return assemble(
        load_config(),
        Settings(**settings),
        {},
        breaker_store=InMemoryBreakerStore(),
        breaker_clock=ManualClock(),
        escalation_store=MemoryEscalationStore(),
        audit_store=lambda: store,
        tracer_provider=otel.tracer_provider if otel else None,
        meter_provider=otel.meter_provider if otel else None,
        clock=ManualClock(START + 1),
    )


@dataclass
class FakeOrchestrations:
    """The orchestration port: records what was started."""

    started: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    fail: bool = False

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        if self.fail:
            raise RuntimeError("engine down")
        self.started.append((name, payload, instance_id))
        return instance_id or f"instance-{len(self.started)}"

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        return "running", None

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        return None

    def titles(self) -> list[str]:
        return [payload["escalation"]["title"] for _, payload, _ in self.started]
