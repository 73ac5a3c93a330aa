"""Health checks end to end: the timers run through the dev host's function index against
the simulated providers, with the breaker clock moved by hand and no chat traffic at all."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from simulators.faults import PROVIDERS, Fault, FaultKind
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.integration


def health(gateway: Gateway) -> dict[str, Any]:
    response = gateway.get("/api/health")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def tier(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in body["tiers"] if t["name"] == name)


def test_a_failing_provider_trips_its_breaker_with_no_chat_traffic(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """Three failed checks open tier 1's breaker; /api/health turns degraded, served by tier 2."""
    gateway = start_health_gateway()
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    assert health(gateway)["status"] == "healthy"

    for _ in range(3):
        gateway.host.run_timer("health_check")

    body = health(gateway)
    assert body["status"] == "degraded"
    assert body["serving"] == {"tier": 2, "name": "azure_openai"}
    openai = tier(body, "openai")
    assert openai["breaker"]["state"] == "open"
    assert openai["breaker"]["reason"] == "consecutive_failures"
    assert openai["last_check"]["outcome"] == "unavailable"
    # Only the checks reached the providers: three each, no chat request.
    assert [gateway.sims.count(p) for p in PROVIDERS] == [3, 3, 3]


def test_a_recovered_provider_is_closed_by_a_check(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """During the break a check only observes; once it ends, the next check probes and closes."""
    gateway = start_health_gateway(open_s=30.0)
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    for _ in range(3):
        gateway.host.run_timer("health_check")
    gateway.sims.clear_fault("openai")

    gateway.host.run_timer("health_check")  # recovered, but the break has not run out
    body = health(gateway)
    assert body["status"] == "degraded"
    assert tier(body, "openai")["last_check"]["outcome"] == "ok"
    assert tier(body, "openai")["last_check"]["mode"] == "observed"
    assert tier(body, "openai")["breaker"]["state"] == "open"

    gateway.breaker_clock.advance(31.0)
    gateway.host.run_timer("health_check")  # the probe
    body = health(gateway)
    assert body["status"] == "healthy"
    assert tier(body, "openai")["breaker"]["state"] == "closed"
    assert tier(body, "openai")["breaker"]["reason"] == "probe_succeeded"
    assert tier(body, "openai")["last_check"]["mode"] == "probe"
    assert gateway.chat("Is bloating a symptom of ovarian cancer?")["failover"]["tier"] == 1


def test_health_shows_every_tier_and_the_storage(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """After a run, each tier shows config, simulation, breaker and its last check."""
    gateway = start_health_gateway()
    gateway.host.run_timer("health_check")
    body = health(gateway)
    assert [t["name"] for t in body["tiers"]] == list(PROVIDERS)
    for entry in body["tiers"]:
        assert (entry["configured"], entry["simulated"], entry["usable"]) == (True, True, True)
        assert entry["breaker"]["state"] == "closed"
        assert entry["last_check"]["outcome"] == "ok"
        assert entry["last_check"]["ms"] > 0
    assert body["storage"] == {"breakers": "ok", "health": "ok", "durable": "ok"}
    assert body["emergency"] == {"tier": 4, "usable": True}


def test_checks_run_concurrently(start_health_gateway: Callable[..., Gateway]) -> None:
    """With 400 ms on every provider, a run takes about one check, not the sum of three."""
    gateway = start_health_gateway(tier_timeout_s=2.0)
    for provider in PROVIDERS:
        gateway.sims.set_fault(provider, Fault(kind=FaultKind.OK, latency_ms=400))
    gateway.host.run_timer("health_check")  # warm: SDK clients and table connections
    started = time.perf_counter()
    gateway.host.run_timer("health_check")
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    checks = {p: tier(health(gateway), p)["last_check"]["ms"] for p in PROVIDERS}
    print(f"\nhealth run {elapsed_ms:.0f} ms; checks {checks}; sum {sum(checks.values()):.0f} ms")
    assert min(checks.values()) >= 400
    assert elapsed_ms < sum(checks.values()), "the checks ran one after another"


def test_health_needs_the_function_key_and_liveness_does_not(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """/api/health is keyed; /api/health/live is anonymous and answers only ``ok``."""
    gateway = start_health_gateway()
    assert gateway.get("/api/health", key=None).status_code == 401
    live = gateway.get("/api/health/live", key=None)
    assert (live.status_code, live.text) == (200, "ok")


def test_the_rotation_timer_runs_and_does_nothing_when_disabled(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """The daily timer runs through the index with its durable client; disabled, it is a no-op."""
    gateway = start_health_gateway()
    gateway.host.run_timer("secret_rotation")
    assert [gateway.sims.count(p) for p in PROVIDERS] == [0, 0, 0]


@pytest.mark.safety("H08")
def test_health_shows_residency_blocked_tiers(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """With DATA_RESIDENCY=uk, tiers outside the UK are shown as blocked and not usable; the
    service is healthy while the first UK tier serves, because the policy permits no other."""
    gateway = start_health_gateway(extra={"DATA_RESIDENCY": "uk"})
    body = health(gateway)
    blocked = {t["name"]: t["residency_blocked"] for t in body["tiers"]}
    assert blocked == {"openai": True, "azure_openai": False, "anthropic": True}
    assert body["status"] == "healthy"
    assert body["serving"]["name"] == "azure_openai"
