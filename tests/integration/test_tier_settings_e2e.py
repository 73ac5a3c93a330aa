"""Four LLM tiers through the dev host, two of them Azure OpenAI deployments that each call
their own endpoint with their own key (the tier's named app settings), shown by what the
simulators recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simulators.endpoints import key_id
from simulators.faults import Fault, FaultKind
from simulators.harness import SimulatedProviders
from tests.integration.conftest import SIM_KEY, Gateway

pytestmark = pytest.mark.integration

QUESTION = "What are the early symptoms of womb cancer?"
SECOND_KEY = "sk-simulated-second-azure-account"
SECOND_DEPLOYMENT = "gpt-4o-mini-ukwest"
SECONDARY_TIER = {
    "name": "azure_openai_secondary",
    "kind": "azure_openai",
    "model": "gpt-4o-mini",
    "deployment": "gpt-4o-mini",
    "region": "ukwest",
    "timeout_s": 0.6,
    "settings": {
        "endpoint": "AZURE_OPENAI_SECONDARY_ENDPOINT",
        "api_key": "AZURE_OPENAI_SECONDARY_API_KEY",
        "deployment": "AZURE_OPENAI_SECONDARY_DEPLOYMENT",
    },
}


def with_secondary_azure_tier(data: dict[str, Any]) -> None:
    """openai, azure_openai, azure_openai_secondary, anthropic."""
    data["tiers"].insert(2, dict(SECONDARY_TIER))


@pytest.fixture
def second_account() -> Iterator[SimulatedProviders]:
    """A second set of simulated providers: its Azure listener is the second account."""
    with SimulatedProviders(control_port=None) as providers:
        yield providers


def test_each_azure_tier_calls_its_own_endpoint_with_its_own_key(
    start_gateway: Callable[..., Gateway], second_account: SimulatedProviders
) -> None:
    """Tier 1 fails: tier 2 answers from account 1; tier 2 fails too: tier 3 from account 2."""
    gateway = start_gateway(
        edit_failover=with_secondary_azure_tier,
        extra={
            "AZURE_OPENAI_SECONDARY_ENDPOINT": second_account.azure_endpoint,
            "AZURE_OPENAI_SECONDARY_API_KEY": SECOND_KEY,
            "AZURE_OPENAI_SECONDARY_DEPLOYMENT": SECOND_DEPLOYMENT,
        },
    )
    assert [t.name for t in gateway.runtime.config.failover.tiers] == [
        "openai",
        "azure_openai",
        "azure_openai_secondary",
        "anthropic",
    ]
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=500))

    first = gateway.chat(QUESTION)["failover"]
    assert (first["tier"], first["provider"]) == (2, "azure_openai")
    recorded = gateway.sims.last_recorded("azure_openai")
    assert recorded is not None
    assert recorded.path == "/openai/deployments/gpt-4o-mini/chat/completions"
    assert recorded.host == f"127.0.0.1:{gateway.sims.port('azure_openai')}"
    assert recorded.key_id == key_id(SIM_KEY)
    assert second_account.count("azure_openai") == 0

    gateway.sims.set_fault("azure_openai", Fault(kind=FaultKind.STATUS, status=503))
    second = gateway.chat(QUESTION)["failover"]
    assert (second["tier"], second["provider"]) == (3, "azure_openai_secondary")
    assert [a["outcome"] for a in second["attempts"]] == ["unavailable", "unavailable", "ok"]
    recorded = second_account.last_recorded("azure_openai")
    assert recorded is not None
    assert recorded.path == f"/openai/deployments/{SECOND_DEPLOYMENT}/chat/completions"
    assert recorded.host == f"127.0.0.1:{second_account.port('azure_openai')}"
    assert recorded.key_id == key_id(SECOND_KEY) != key_id(SIM_KEY)
    assert recorded.auth == "api-key"
    assert gateway.sims.count("azure_openai") == 2, "account 1 was tried once per request"
    assert gateway.sims.count("anthropic") == 0


def test_an_unset_second_azure_tier_is_skipped_as_not_configured(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Without its settings the extra tier is skipped and Anthropic answers after it."""
    gateway = start_gateway(
        edit_failover=with_secondary_azure_tier,
        extra={"AZURE_OPENAI_SECONDARY_ENDPOINT": "", "AZURE_OPENAI_SECONDARY_API_KEY": ""},
    )
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=500))
    gateway.sims.set_fault("azure_openai", Fault(kind=FaultKind.STATUS, status=503))
    failover = gateway.chat(QUESTION)["failover"]
    assert (failover["tier"], failover["provider"]) == (4, "anthropic")
    assert [a["outcome"] for a in failover["attempts"]] == [
        "unavailable",
        "unavailable",
        "not_configured",
        "ok",
    ]
