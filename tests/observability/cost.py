"""What telemetry and tracing cost per chat request, with exporting off and on.

    python -m tests.observability.cost [--requests 2000] [--rounds 5]

The gateway runs in process against a fake orchestration engine that answers at once, and runs
the provider activity's ``tier.attempt`` span as the real activity would, so the figures are
the instrumentation's own cost, not network time. Three set-ups, interleaved round by round so
machine noise hits them alike:

* ``none``: no observability: the gateway emits to a port nobody hears, and no spans are
  opened (the baseline);
* ``off``: observability subscribed, no exporter (OpenTelemetry's no-op providers); the audit
  row is still queued and the SLA monitor still runs;
* ``on``: SDK providers with a batch span processor and a periodic metric reader, both
  exporting to a sink that discards (the export work runs, the network does not).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from shared.bootstrap import assemble, chat_gateway
from shared.breakers.store import InMemoryBreakerStore
from shared.escalation.store import MemoryEscalationStore
from shared.events import NoEvents
from shared.failover.gateway import ChatGateway
from shared.observability.audit import MemoryAuditStore
from shared.observability.observer import Observability
from shared.platform.config import load_config
from shared.platform.settings import Settings


def body(number: int) -> bytes:
    # A conversation per request, so the per-conversation rate limit never answers 429.
    return json.dumps(
        {
            "messages": [{"role": "user", "content": "What are the symptoms of ovarian cancer?"}],
            "metadata": {"conversation_id": f"conversation-{number}"},
        }
    ).encode()


OUTPUT = {
    "tier": 1,
    "provider": "openai",
    "completion": {
        "text": "Some information",
        "finish_reason": "stop",
        "model": "gpt-4o-mini",
        "usage": {"prompt_tokens": 3, "completion_tokens": 4},
    },
    "attempts": [{"provider": "openai", "outcome": "ok", "ms": 12.0}],
}


class DiscardSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class DiscardMetrics(MetricExporter):
    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


class InstantEngine:
    """Completes every orchestration at once, running the activity's attempt span."""

    def __init__(self, observability: Observability | None) -> None:
        self._observability = observability

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        if self._observability is not None:
            with self._observability.attempt_span(
                payload.get("trace"), provider="openai", tier=1
            ) as span:
                span.outcome("ok")
        return "instance"

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        return "completed", OUTPUT

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        return None


async def _no_sleep(_seconds: float) -> None:
    return None


@dataclass
class Served:
    """The chat trigger's work: the chat span (when observed) around the gateway."""

    gateway: ChatGateway
    observability: Observability | None

    async def handle(self, raw: bytes, engine: InstantEngine) -> Any:
        if self.observability is None:
            return await self.gateway.handle(raw, "application/json", engine)
        with self.observability.chat_span():
            return await self.gateway.handle(raw, "application/json", engine)


def build(mode: str) -> tuple[Served, InstantEngine, Any]:
    options: dict[str, Any] = {}
    sdk: Any = None
    if mode == "on":
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(
            BatchSpanProcessor(DiscardSpans(), schedule_delay_millis=200)
        )
        reader = PeriodicExportingMetricReader(DiscardMetrics(), export_interval_millis=1000)
        meter_provider = MeterProvider(metric_readers=[reader])
        options = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
        sdk = (tracer_provider, meter_provider)
    store = MemoryAuditStore()
    runtime = assemble(
        load_config(),
        Settings(status_poll_interval_s=0.0),
        {},
        breaker_store=InMemoryBreakerStore(),
        escalation_store=MemoryEscalationStore(),
        audit_store=lambda: store,
        **options,
    )
    if mode == "none":
        gateway = chat_gateway(runtime, events=NoEvents(), sleep=_no_sleep)
        return Served(gateway, None), InstantEngine(None), sdk
    gateway = chat_gateway(runtime, sleep=_no_sleep)
    observed = runtime.observability
    return Served(gateway, observed), InstantEngine(observed), sdk


_numbers = itertools.count()


async def timed(served: Served, engine: InstantEngine, requests: int) -> list[float]:
    samples = []
    for _ in range(requests):
        raw = body(next(_numbers))
        started = time.perf_counter()
        reply = await served.handle(raw, engine)
        samples.append((time.perf_counter() - started) * 1e6)
        assert reply.status == 200, "a broken set-up must not produce figures"
    return samples


async def measure(requests: int, rounds: int) -> dict[str, list[float]]:
    modes = ("none", "off", "on")
    built = {mode: build(mode) for mode in modes}
    for gateway, engine, _ in built.values():
        await timed(gateway, engine, 200)  # warm-up
    samples: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(rounds):
        for mode in modes:
            gateway, engine, _ = built[mode]
            samples[mode] += await timed(gateway, engine, requests)
    for _, _, sdk in built.values():
        if sdk is not None:
            for provider in sdk:
                provider.shutdown()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per mode per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    samples = asyncio.run(measure(args.requests, args.rounds))
    base = statistics.median(samples["none"])
    print(f"{'mode':<6} {'median µs':>10} {'p95 µs':>8} {'added µs (median)':>18}")
    for mode, values in samples.items():
        ordered = sorted(values)
        median = statistics.median(ordered)
        p95 = ordered[int(len(ordered) * 0.95)]
        print(f"{mode:<6} {median:>10.1f} {p95:>8.1f} {median - base:>18.1f}")


if __name__ == "__main__":
    main()
