"""Health checks: concurrent, bounded, and feeding the circuit breakers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pytest

from shared.breakers.rule import BreakerState
from shared.models import Outcome, ProviderRequest, ProviderResult
from shared.operations.health import (
    CheckMode,
    CheckResult,
    HealthChecker,
    HealthRun,
    HealthSettings,
    check_request,
)
from shared.operations.results_table import MemoryHealthStore
from shared.platform.settings import Settings

from .fakes import (
    NAMES,
    TIERS,
    Behaviour,
    FakeClock,
    FakeProvider,
    answers,
    breaker_service,
    fake_providers,
    hangs,
    trip,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def providers() -> dict[str, FakeProvider]:
    return fake_providers()


@pytest.fixture
def store() -> MemoryHealthStore:
    return MemoryHealthStore(history=5)


def checker(
    providers: dict[str, FakeProvider],
    breakers: object,
    store: object,
    clock: FakeClock,
    *,
    timeout_s: float = 5.0,
    tiers: Sequence[object] = TIERS,
) -> HealthChecker:
    return HealthChecker(
        tiers,  # type: ignore[arg-type]
        providers,
        breakers,  # type: ignore[arg-type]
        store,  # type: ignore[arg-type]
        timeout_s=timeout_s,
        clock=clock,
    )


def by_provider(results: Iterable[CheckResult]) -> dict[str, CheckResult]:
    return {r.provider: r for r in results}


async def test_all_tiers_are_checked_at_once(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """Every provider's check starts before any finishes (each waits for all to have started)."""
    started: list[str] = []
    everyone_started = asyncio.Event()

    def waits_for_the_others(name: str) -> Behaviour:
        async def behave(request: ProviderRequest) -> ProviderResult:
            started.append(name)
            if len(started) == len(NAMES):
                everyone_started.set()
            await everyone_started.wait()
            return ProviderResult(Outcome.OK)

        return behave

    for name, provider in providers.items():
        provider.behaviour = waits_for_the_others(name)
    run = await checker(providers, breaker_service(clock), store, clock, timeout_s=2.0).run()
    assert sorted(started) == sorted(NAMES)
    assert {r.outcome for r in run.results} == {Outcome.OK}, "a sequential run would time out"


async def test_a_hung_provider_times_out_without_holding_up_the_others(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """A provider that never answers is a timeout at the check's bound; the rest pass."""
    providers["openai"].behaviour = hangs
    run = await checker(providers, breaker_service(clock), store, clock, timeout_s=0.05).run()
    results = by_provider(run.results)
    assert results["openai"].outcome is Outcome.TIMEOUT
    assert results["azure_openai"].outcome is Outcome.OK
    assert results["anthropic"].outcome is Outcome.OK


async def test_the_check_is_a_one_token_request_bounded_by_the_tier_timeout(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """One user turn, max_tokens 1, no safety prompt; the timeout never exceeds the tier's."""
    await checker(providers, breaker_service(clock), store, clock, timeout_s=5.0).run()
    request = providers["openai"].requests[0]
    assert request.max_tokens == 1
    assert request.system_prompt == ""
    assert [m.role for m in request.messages] == ["user"]
    assert request.timeout_s == 3.0  # the tier's 3 s, not the configured 5 s


async def test_failed_checks_trip_a_breaker_with_no_chat_traffic(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """Three failed checks in a row open the breaker, exactly as three failed chats would."""
    breakers = breaker_service(clock)
    providers["openai"].behaviour = answers(Outcome.UNAVAILABLE, status=503)
    health = checker(providers, breakers, store, clock)
    for expected in (BreakerState.CLOSED, BreakerState.CLOSED, BreakerState.OPEN):
        run = await health.run()
        result = by_provider(run.results)["openai"]
        assert result.mode is CheckMode.COUNTED
        assert result.breaker is expected
        clock.advance(60.0)
    assert breakers.states(["openai"])[0].state is BreakerState.OPEN


async def test_a_check_on_an_open_breaker_calls_but_does_not_count(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """Before the break ends a check still calls the provider, but a pass does not close it."""
    breakers = breaker_service(clock)
    trip(breakers, "openai")
    clock.advance(10.0)  # the break is 30 s
    run = await checker(providers, breakers, store, clock).run()
    result = by_provider(run.results)["openai"]
    assert providers["openai"].calls == 1
    assert result.outcome is Outcome.OK
    assert result.mode is CheckMode.OBSERVED
    assert breakers.states(["openai"])[0].state is BreakerState.OPEN


async def test_a_passing_check_after_the_break_is_the_probe_and_closes_the_breaker(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """Once the break has run out the check holds the probe lease, and its pass closes it."""
    breakers = breaker_service(clock)
    trip(breakers, "openai")
    clock.advance(31.0)
    run = await checker(providers, breakers, store, clock).run()
    result = by_provider(run.results)["openai"]
    assert result.mode is CheckMode.PROBE
    assert result.breaker is BreakerState.CLOSED
    assert breakers.states(["openai"])[0].state is BreakerState.CLOSED


async def test_a_failing_probe_reopens_with_a_doubled_break(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """A probe check that fails re-opens the breaker for twice the break."""
    breakers = breaker_service(clock)
    trip(breakers, "openai")
    clock.advance(31.0)
    providers["openai"].behaviour = answers(Outcome.TIMEOUT)
    run = await checker(providers, breakers, store, clock).run()
    assert by_provider(run.results)["openai"].mode is CheckMode.PROBE
    view = breakers.states(["openai"])[0]
    assert view.state is BreakerState.OPEN
    assert view.open_until == pytest.approx(clock.now + 60.0)


async def test_a_check_does_not_probe_while_another_caller_holds_the_lease(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """If a chat request already holds the probe lease, the check only observes."""
    breakers = breaker_service(clock)
    trip(breakers, "openai")
    clock.advance(31.0)
    assert breakers.admit("openai").probe  # a chat request takes the probe
    run = await checker(providers, breakers, store, clock).run()
    assert by_provider(run.results)["openai"].mode is CheckMode.OBSERVED
    assert breakers.states(["openai"])[0].state is BreakerState.HALF_OPEN


async def test_a_forced_open_provider_is_not_called(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """An operator's maintenance hold means no traffic, health checks included."""
    breakers = breaker_service(clock)
    breakers.force_open("openai")
    run = await checker(providers, breakers, store, clock).run()
    result = by_provider(run.results)["openai"]
    assert providers["openai"].calls == 0
    assert result.mode is CheckMode.NOT_CALLED
    assert result.outcome is Outcome.BREAKER_OPEN


async def test_disabled_and_unconfigured_tiers_are_not_checked(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """Only enabled tiers with credentials are called."""
    providers["anthropic"].configured = False
    tiers = (replace(TIERS[0], enabled=False), TIERS[1], TIERS[2])
    run = await checker(providers, breaker_service(clock), store, clock, tiers=tiers).run()
    assert [r.provider for r in run.results] == ["azure_openai"]
    assert providers["openai"].calls == 0
    assert providers["anthropic"].calls == 0


async def test_an_adapter_that_raises_is_an_error_that_does_not_count(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """A bug in an adapter is reported as ``error``, which the breaker treats as neutral."""
    breakers = breaker_service(clock)

    async def explodes(request: ProviderRequest) -> ProviderResult:
        raise RuntimeError("bug")

    providers["openai"].behaviour = explodes
    for _ in range(3):
        run = await checker(providers, breakers, store, clock).run()
        assert by_provider(run.results)["openai"].outcome is Outcome.ERROR
    assert breakers.states(["openai"])[0].state is BreakerState.CLOSED


async def test_results_are_kept_in_the_store(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """Each run's results are written; the latest is the newest run's."""
    providers["anthropic"].behaviour = answers(Outcome.RATE_LIMITED, retry_after_s=5.0)
    health = checker(providers, breaker_service(clock), store, clock)
    await health.run()
    clock.advance(60.0)
    await health.run()
    latest = store.latest(NAMES)
    assert set(latest) == set(NAMES)
    assert latest["anthropic"].outcome is Outcome.RATE_LIMITED
    assert latest["anthropic"].at == clock.now
    assert len(store.history("openai")) == 2


async def test_a_store_that_fails_does_not_fail_the_run(
    providers: dict[str, FakeProvider], clock: FakeClock
) -> None:
    """Results that cannot be kept are still returned and still fed to the breakers."""

    class BrokenStore(MemoryHealthStore):
        def record(self, results: Sequence[CheckResult]) -> None:
            raise OSError("storage down")

    providers["openai"].behaviour = answers(Outcome.UNAVAILABLE)
    breakers = breaker_service(clock)
    run = await checker(providers, breakers, BrokenStore(history=5), clock).run()
    assert by_provider(run.results)["openai"].outcome is Outcome.UNAVAILABLE
    assert breakers.states(["openai"])[0].consecutive_failures == 1


async def test_nothing_configured_means_an_empty_run(
    store: MemoryHealthStore, clock: FakeClock
) -> None:
    """With no configured tier a run calls nothing and touches no breaker."""
    providers = {name: FakeProvider(name, configured=False) for name in NAMES}
    run = await checker(providers, breaker_service(clock), store, clock).run()
    assert run.results == ()


def test_check_request_is_bounded_by_its_timeout() -> None:
    """The request carries the timeout it was built with."""
    assert check_request(0.7).timeout_s == 0.7


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, HealthSettings(timeout_s=5.0, history=20, table_name="health")),
        (
            {
                "HEALTH_CHECK_TIMEOUT_S": "2.5",
                "HEALTH_HISTORY_SIZE": "7",
                "HEALTH_TABLE_NAME": "h2",
            },
            HealthSettings(timeout_s=2.5, history=7, table_name="h2"),
        ),
    ],
)
def test_health_settings_come_from_app_settings(
    env: dict[str, str], expected: HealthSettings
) -> None:
    """Timeout, history size and table have defaults and can be set as app settings."""
    assert HealthSettings.from_settings(Settings.from_env(env)) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [("HEALTH_CHECK_TIMEOUT_S", "0"), ("HEALTH_HISTORY_SIZE", "2.5"), ("HEALTH_HISTORY_SIZE", "x")],
)
def test_invalid_health_settings_name_the_setting(name: str, value: str) -> None:
    """A bad value fails loudly and says which setting is wrong."""
    with pytest.raises(ValueError, match=name):
        HealthSettings.from_settings(Settings.from_env({name: value}))


async def test_listeners_hear_every_run_and_cannot_break_it(
    providers: dict[str, FakeProvider], store: MemoryHealthStore, clock: FakeClock
) -> None:
    """A listener gets each finished run; one that raises does not stop the others."""
    heard: list[HealthRun] = []

    def broken(run: HealthRun) -> None:
        raise RuntimeError("listener bug")

    health = HealthChecker(
        TIERS,
        providers,
        breaker_service(clock),
        store,
        clock=clock,
        listeners=(broken, heard.append),
    )
    run = await health.run()
    assert heard == [run]
