"""Fakes for the health tests: scripted providers, a hand-moved clock, a breaker service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from shared.breakers.service import BreakerService
from shared.breakers.store import InMemoryBreakerStore
from shared.models import Outcome, ProviderRequest, ProviderResult
from shared.platform.config import BreakerSettings, FailoverConfig, TierConfig
from tests.support.clocks import ManualClock

T0 = 1_800_000_000.0
SETTINGS = BreakerSettings(failure_threshold=3, open_s=30.0, max_open_s=300.0)
TIERS = (
    TierConfig("openai", "openai", "gpt-4o-mini", "us", first_token_s=3.0, breaker=SETTINGS),
    TierConfig(
        "azure_openai",
        "azure_openai",
        "gpt-4o-mini",
        "ukwest",
        first_token_s=3.0,
        deployment="gpt-4o-mini",
        breaker=SETTINGS,
    ),
    TierConfig(
        "anthropic", "anthropic", "claude-sonnet-5", "us", first_token_s=3.0, breaker=SETTINGS
    ),
)
NAMES = [t.name for t in TIERS]


class FakeClock(ManualClock):
    """A wall clock from T0 that only moves when a test moves it."""

    def __init__(self, start: float = T0) -> None:
        super().__init__(start)


Behaviour = Callable[[ProviderRequest], Awaitable[ProviderResult]]


async def answers_ok(request: ProviderRequest) -> ProviderResult:
    return ProviderResult(Outcome.OK)


def answers(outcome: Outcome, **fields: object) -> Behaviour:
    async def behave(request: ProviderRequest) -> ProviderResult:
        return replace(ProviderResult(outcome), **fields)  # type: ignore[arg-type]

    return behave


async def hangs(request: ProviderRequest) -> ProviderResult:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


@dataclass
class FakeProvider:
    """A provider whose answer a test sets; it records every request."""

    name: str
    configured: bool = True
    behaviour: Behaviour = answers_ok
    requests: list[ProviderRequest] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.requests)

    async def complete(self, request: ProviderRequest) -> ProviderResult:
        self.requests.append(request)
        return await self.behaviour(request)

    async def aclose(self) -> None:
        return None


def fake_providers() -> dict[str, FakeProvider]:
    return {name: FakeProvider(name) for name in NAMES}


def breaker_service(clock: FakeClock) -> BreakerService:
    """The real breaker service on the in-memory store, on ``clock``."""
    return BreakerService.for_config(
        InMemoryBreakerStore(), FailoverConfig(tiers=TIERS), clock=clock, sleep=lambda _s: None
    )


def trip(breakers: BreakerService, provider: str) -> None:
    """Open ``provider``'s breaker: three counted failures (the tiers' threshold here)."""
    for _ in range(3):
        breakers.record(provider, Outcome.UNAVAILABLE)
