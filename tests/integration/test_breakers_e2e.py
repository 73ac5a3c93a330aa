"""Circuit breakers end to end on the dev host, with the breaker clock moved by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulators.faults import Fault, FaultKind
from tests.integration.conftest import ADMIN_KEY, FUNCTION_KEY, Gateway

pytestmark = pytest.mark.integration

QUESTION = "Is bloating a symptom of ovarian cancer?"


@pytest.mark.safety("H13")
def test_failing_tier1_trips_then_probes_once_then_closes(
    start_gateway: Callable[..., Gateway],
) -> None:
    """N failures stop calls to tier 1; after the break one probe goes; recovery closes it."""
    gateway = start_gateway(open_s=30.0)
    sims = gateway.sims
    sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))

    for _ in range(3):
        assert gateway.chat(QUESTION)["failover"]["provider"] == "azure_openai"
    assert sims.count("openai") == 3

    for _ in range(5):
        data = gateway.chat(QUESTION)
        assert data["failover"]["provider"] == "azure_openai"
        assert data["failover"]["attempts"][0] == {
            "provider": "openai",
            "outcome": "breaker_open",
            "ms": 0.0,
        }
    assert sims.count("openai") == 3, "an open breaker sends nothing to the provider"

    gateway.breaker_clock.advance(31.0)
    gateway.chat(QUESTION)  # the probe: still failing, so the breaker re-opens (for 60 s now)
    assert sims.count("openai") == 4
    gateway.chat(QUESTION)
    assert sims.count("openai") == 4, "a failed probe re-opens the breaker"

    sims.clear_fault("openai")
    gateway.breaker_clock.advance(31.0)
    gateway.chat(QUESTION)
    assert sims.count("openai") == 4, "the break doubled after the failed probe"

    gateway.breaker_clock.advance(30.0)
    probe = gateway.chat(QUESTION)
    assert probe["failover"]["provider"] == "openai"
    assert sims.count("openai") == 5
    after = gateway.chat(QUESTION)
    assert after["failover"]["provider"] == "openai"
    assert after["failover"]["tier"] == 1
    assert sims.count("openai") == 6


def test_operators_can_list_force_open_and_close(start_gateway: Callable[..., Gateway]) -> None:
    """The admin routes show the breakers, open one for maintenance and reset it."""
    gateway = start_gateway()
    listing = gateway.get("/api/breakers", key=ADMIN_KEY)
    assert listing.status_code == 200
    assert [b["provider"] for b in listing.json()["breakers"]] == [
        "openai",
        "azure_openai",
        "anthropic",
    ]
    assert {b["state"] for b in listing.json()["breakers"]} == {"closed"}

    opened = gateway.post("/api/breakers/openai/open", b"", key=ADMIN_KEY)
    assert opened.status_code == 200
    assert opened.json()["state"] == "open"
    assert gateway.chat(QUESTION)["failover"]["provider"] == "azure_openai"
    assert gateway.sims.count("openai") == 0

    closed = gateway.post("/api/breakers/openai/close", b"", key=ADMIN_KEY)
    assert closed.json()["state"] == "closed"
    gateway.breaker_clock.advance(1.5)  # past the other instances' read cache
    assert gateway.chat(QUESTION)["failover"]["provider"] == "openai"


def test_breaker_routes_need_the_admin_key(start_gateway: Callable[..., Gateway]) -> None:
    """The function key is not enough for the operator routes."""
    gateway = start_gateway()
    assert gateway.get("/api/breakers", key=FUNCTION_KEY).status_code == 401
    assert gateway.post("/api/breakers/openai/open", b"", key=FUNCTION_KEY).status_code == 401
    assert gateway.post("/api/breakers/nope/open", b"", key=ADMIN_KEY).status_code == 404
