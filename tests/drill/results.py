"""Hand-built drill results for the checks' unit tests: one clean run, varied per test."""

from __future__ import annotations

from dataclasses import replace

from bench.loadgen import Sample
from drill.model import (
    PROVIDERS,
    BreakerObservation,
    Delivery,
    DrillConfig,
    DrillResult,
    Phase,
    Recovery,
    Sla,
)

T0 = 1_800_000_000.0
FAULTS = {"openai": 10.0, "azure_openai": 20.0, "anthropic": 30.0}
CLEARED = {"anthropic": 50.0, "azure_openai": 55.0, "openai": 60.0}
CLOSED = {"anthropic": 52.0, "azure_openai": 57.0, "openai": 62.0}


def chat(at: float, tier: int, *attempts: tuple[str, str, float], ms: float = 120.0) -> Sample:
    provider = "emergency" if tier == 4 else PROVIDERS[tier - 1]
    return Sample(T0 + at, ms, 200, "chat", "", tier, provider, False, attempts)


def crisis(at: float) -> Sample:
    return Sample(T0 + at, 15.0, 200, "crisis", "", 4, "emergency", True)


def clean_result() -> DrillResult:
    """A drill in which everything went as designed."""
    samples = [
        chat(1.0, 1, ("openai", "ok", 100.0)),
        chat(12.0, 2, ("openai", "timeout", 800.0), ("azure_openai", "ok", 100.0), ms=950.0),
        chat(35.0, 4, *((p, "breaker_open", 0.0) for p in PROVIDERS), ms=20.0),
        crisis(40.0),
        # Each recovering tier's probe, sent after its fault was cleared.
        chat(
            50.5,
            3,
            ("openai", "breaker_open", 0.0),
            ("azure_openai", "breaker_open", 0.0),
            ("anthropic", "ok", 100.0),
        ),
        chat(55.5, 2, ("openai", "breaker_open", 0.0), ("azure_openai", "ok", 100.0)),
        chat(60.5, 1, ("openai", "ok", 100.0)),
    ]
    breakers = []
    for provider in PROVIDERS:
        opened = FAULTS[provider] + 1.0
        closed = CLOSED[provider]
        for at, state, changed in (
            (T0 + 0.5, "closed", None),
            (T0 + opened, "open", T0 + opened),
            (T0 + closed + 0.1, "closed", T0 + closed),
        ):
            breakers.append(BreakerObservation(at, provider, state, 0, changed))
    breakers.sort(key=lambda b: b.at)
    return DrillResult(
        config=DrillConfig(),
        started=T0,
        ended=T0 + 70.0,
        phases=(Phase("all healthy", T0, T0 + 10.0), Phase("healthy again", T0 + 60, T0 + 70)),
        samples=tuple(samples),
        breakers=tuple(breakers),
        recoveries=tuple(Recovery(p, T0 + CLEARED[p], T0 + CLOSED[p]) for p in reversed(PROVIDERS)),
        provider_calls={"openai": 3, "azure_openai": 2, "anthropic": 1},
        deliveries=(
            Delivery(T0 + 40.5, "teams", "/clinical", "crisis"),
            Delivery(T0 + 40.6, "email", "nurse-team@localhost", "crisis"),
            Delivery(T0 + 35.5, "teams", "/operations", "all tiers failed"),
            Delivery(T0 + 35.6, "email", "operations@localhost", "all tiers failed"),
        ),
        sla=Sla(2.0, 0.999, 3.0, 0.999),
        fault_started={p: T0 + at for p, at in FAULTS.items()},
    )


def with_samples(result: DrillResult, *extra: Sample) -> DrillResult:
    return replace(
        result, samples=tuple(sorted((*result.samples, *extra), key=lambda s: s.started))
    )
