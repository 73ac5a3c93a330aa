"""Operations alerts leave from the process that raises them, through the ops-alerts queue.

These tests use only the ``start_gateway`` fixture, so they run unchanged against any topology
it starts (one process today; the HTTP, Durable and queue functions in processes of their own
under the Flex topology)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from simulators.faults import Fault, FaultKind
from tests.integration.conftest import Gateway
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration

QUESTION = "Is bloating a symptom of ovarian cancer?"


def provider_failure_cards(gateway: Gateway, provider: str) -> list[str]:
    """The operations Teams cards that report ``provider``'s breaker opening."""
    cards = [json.dumps(r.body) for r in gateway.webhook.received if r.path == "/operations"]
    return [c for c in cards if "provider-failure" in c and f"The {provider} circuit" in c]


@pytest.mark.safety("H11")
def test_a_breaker_trip_in_chat_traffic_alerts_operations_with_no_further_request(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A failing tier 1 trips its breaker; the 'provider failure' alert arrives within 10 s
    while no chat request is sent after the one that tripped it."""
    gateway = start_gateway(open_s=30.0, budget_s=15.0)  # cold, busy machines: no emergency
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    for _ in range(3):
        assert gateway.chat(QUESTION)["failover"]["provider"] == "azure_openai"
    answered = gateway.sims.count("azure_openai")

    assert wait_for(lambda: bool(provider_failure_cards(gateway, "openai")), timeout_s=10.0)
    assert gateway.sims.count("azure_openai") == answered, "no chat request after the trip"
    assert gateway.sims.count("openai") == 3


def test_an_alert_the_queue_delivered_is_not_kept_in_the_process(
    start_gateway: Callable[..., Gateway],
) -> None:
    """The trip's alert went through the storage queue: nothing waits in memory for a flush."""
    gateway = start_gateway(open_s=30.0, budget_s=15.0)  # cold, busy machines: no emergency
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    for _ in range(3):
        gateway.chat(QUESTION)

    assert wait_for(lambda: bool(provider_failure_cards(gateway, "openai")), timeout_s=10.0)
    assert gateway.runtime.alerts.pending == 0
    assert len(provider_failure_cards(gateway, "openai")) == 1
