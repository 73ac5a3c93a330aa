"""``/api/health``'s document: overall status, per-tier detail, storage."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shared.breakers.rule import BreakerState
from shared.breakers.service import BreakerService
from shared.breakers.store import StoreUnavailableError
from shared.models import Outcome
from shared.operations.health import CheckMode, CheckResult, health_report
from shared.operations.results_table import MemoryHealthStore
from shared.platform.config import FailoverConfig
from shared.platform.ports import HttpReply
from shared.platform.settings import Settings

from .fakes import TIERS, FakeClock, FakeProvider, breaker_service, fake_providers, trip

SIMULATED = Settings(simulated_providers=True)


async def report(
    clock: FakeClock,
    *,
    breakers: Any = None,
    providers: dict[str, FakeProvider] | None = None,
    store: MemoryHealthStore | None = None,
    tiers: Any = TIERS,
    settings: Settings = SIMULATED,
    blocked: frozenset[str] = frozenset(),
) -> HttpReply:
    return await health_report(
        tiers,
        providers or fake_providers(),
        settings,
        breakers or breaker_service(clock),
        store or MemoryHealthStore(history=5),
        clock=clock,
        residency_blocked=lambda name: "residency_blocked" if name in blocked else None,
    )


async def test_healthy_when_tier_one_is_usable() -> None:
    """All breakers closed and tier 1 configured: healthy, served by tier 1, HTTP 200."""
    reply = await report(FakeClock())
    assert reply.status == 200
    assert reply.body["status"] == "healthy"
    assert reply.body["serving"] == {"tier": 1, "name": "openai"}


async def test_degraded_when_tier_one_is_open_but_another_tier_is_usable() -> None:
    """An open tier-1 breaker degrades the service; tier 2 serves; still HTTP 200."""
    clock = FakeClock()
    breakers = breaker_service(clock)
    trip(breakers, "openai")
    reply = await report(clock, breakers=breakers)
    assert reply.status == 200
    assert reply.body["status"] == "degraded"
    assert reply.body["serving"] == {"tier": 2, "name": "azure_openai"}
    assert reply.body["tiers"][0]["usable"] is False
    assert reply.body["tiers"][0]["breaker"]["state"] == "open"


async def test_degraded_with_only_the_emergency_tier_left() -> None:
    """Every LLM breaker open: degraded, answered by the emergency tier, still HTTP 200."""
    clock = FakeClock()
    breakers = breaker_service(clock)
    for tier in TIERS:
        trip(breakers, tier.name)
    reply = await report(clock, breakers=breakers)
    assert reply.status == 200
    assert reply.body["status"] == "degraded"
    assert reply.body["serving"] == {"tier": 4, "name": "emergency"}
    assert reply.body["emergency"] == {"tier": 4, "usable": True}


async def test_tier_one_without_credentials_is_degraded() -> None:
    """A tier 1 that should answer but has no credentials is not usable: degraded."""
    providers = fake_providers()
    providers["openai"].configured = False
    reply = await report(FakeClock(), providers=providers)
    assert reply.body["status"] == "degraded"
    assert reply.body["tiers"][0]["usable"] is False


@pytest.mark.parametrize("policy", ["disabled", "residency_blocked"])
async def test_a_tier_the_policy_skips_does_not_degrade_the_service(policy: str) -> None:
    """Judged against the first tier the policy permits: with tier 1 disabled in config or
    blocked by DATA_RESIDENCY=uk, a usable tier 2 is healthy."""
    tiers = TIERS
    blocked: frozenset[str] = frozenset()
    if policy == "disabled":
        tiers = (replace(TIERS[0], enabled=False), *TIERS[1:])
    else:
        blocked = frozenset({"openai", "anthropic"})
    reply = await report(FakeClock(), tiers=tiers, blocked=blocked)
    assert reply.body["status"] == "healthy"
    assert reply.body["serving"] == {"tier": 2, "name": "azure_openai"}
    assert reply.body["tiers"][0]["usable"] is False


async def test_the_first_permitted_tier_down_is_degraded() -> None:
    """With tier 1 blocked by residency, an open tier-2 breaker degrades the service."""
    clock = FakeClock()
    breakers = breaker_service(clock)
    trip(breakers, "azure_openai")
    reply = await report(clock, breakers=breakers, blocked=frozenset({"openai"}))
    assert reply.body["status"] == "degraded"
    assert reply.body["serving"] == {"tier": 3, "name": "anthropic"}


async def test_each_tier_shows_config_breaker_and_last_check() -> None:
    """Per tier: configured, simulated, breaker state and the last check's time, result, ms."""
    clock = FakeClock()
    store = MemoryHealthStore(history=5)
    store.record(
        [
            CheckResult(
                "azure_openai",
                Outcome.TIMEOUT,
                clock.now - 30.0,
                3000.4,
                CheckMode.COUNTED,
                BreakerState.CLOSED,
                "deadline",
            )
        ]
    )
    providers = fake_providers()
    providers["anthropic"].configured = False
    reply = await report(clock, store=store, providers=providers)
    tiers = {t["name"]: t for t in reply.body["tiers"]}
    azure = tiers["azure_openai"]
    assert (azure["tier"], azure["configured"], azure["simulated"]) == (2, True, True)
    assert azure["breaker"]["state"] == "closed"
    assert azure["last_check"] == {
        "at": "2027-01-15T07:59:30+00:00",
        "outcome": "timeout",
        "ok": False,
        "ms": 3000.4,
        "mode": "counted",
        "detail": "deadline",
    }
    assert tiers["openai"]["last_check"] is None
    assert (tiers["anthropic"]["configured"], tiers["anthropic"]["simulated"]) == (False, False)


async def test_real_providers_are_not_labelled_simulated() -> None:
    """Without the simulated-providers setting no tier says it is simulated."""
    reply = await report(FakeClock(), settings=Settings())
    assert {t["simulated"] for t in reply.body["tiers"]} == {False}


class DownStore:
    """A breaker store that cannot be reached."""

    reads = writes = 0

    def read(self, provider: str) -> None:
        raise StoreUnavailableError("down")

    def read_all(self) -> dict[str, Any]:
        raise StoreUnavailableError("down")

    def write(self, provider: str, state: object, etag: str | None) -> str:
        raise StoreUnavailableError("down")


async def test_storage_reports_an_unreachable_breaker_store() -> None:
    """When the breaker store cannot be read the report says so (and still answers 200)."""

    clock = FakeClock()
    breakers = BreakerService.for_config(DownStore(), FailoverConfig(tiers=TIERS), clock=clock)
    reply = await report(clock, breakers=breakers)
    assert reply.status == 200
    assert reply.body["storage"] == {"breakers": "unreachable", "health": "ok"}


async def test_the_report_is_not_cached() -> None:
    """Caches must not serve an old health status."""
    reply = await report(FakeClock())
    assert reply.headers["Cache-Control"] == "no-store"
