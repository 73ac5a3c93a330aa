"""The crisis triage's structured call through each real SDK (OpenAI and Azure OpenAI
``json_schema``, Anthropic forced tool use) against the simulators' triage rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.failover.triage_opinion import ProviderTriage
from shared.models import Outcome
from shared.platform.settings import Settings
from shared.providers.sdk_adapter import SdkProvider
from shared.safety.triage import (
    MalformedTriageError,
    TriageConfig,
    TriageError,
    load_triage_config,
    parse_verdict,
)
from simulators import Fault, FaultKind, ProviderName, SimulatedProviders

from .test_adapter_contract import make_adapter

pytestmark = pytest.mark.integration

KINDS: tuple[ProviderName, ...] = ("openai", "azure_openai", "anthropic")


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> ProviderName:
    """Each wire format the triage may use, in turn."""
    value: ProviderName = request.param
    return value


@pytest.fixture
def config() -> TriageConfig:
    """The shipped triage config with a short timeout (the slow marker waits far longer)."""
    shipped = load_triage_config()
    return TriageConfig(
        system_prompt=shipped.system_prompt,
        schema_name=shipped.schema_name,
        schema=shipped.schema,
        schema_description=shipped.schema_description,
        timeout_s=0.5,
    )


@pytest.fixture
async def adapter(kind: ProviderName, settings: Settings) -> AsyncIterator[SdkProvider[Any]]:
    """The tier adapter of ``kind`` on the simulators."""
    provider = make_adapter(kind, settings)
    yield provider
    await provider.aclose()


def triage_for(adapter: SdkProvider[Any], config: TriageConfig) -> ProviderTriage:
    return ProviderTriage({adapter.name: adapter}, config)


@pytest.mark.safety("H01")
async def test_a_flag_comes_back_as_a_valid_verdict(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    config: TriageConfig,
    sims: SimulatedProviders,
) -> None:
    """A flagged message comes back, through the real SDK, as a valid crisis verdict."""
    result = await triage_for(adapter, config).assess(
        ["hello", "it is all too much [triage:sh]"], adapter.name
    )
    verdict = parse_verdict(result.payload)
    assert (verdict.crisis, verdict.category, verdict.triage_class) == (
        True,
        "self_harm",
        "self_harm.simulated",
    )
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0


async def test_the_request_holds_the_model_to_the_schema(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    config: TriageConfig,
    sims: SimulatedProviders,
) -> None:
    """The request carries the schema in the provider's own structured form, non-streamed."""
    await triage_for(adapter, config).assess(["a question"], adapter.name)
    body = sims.last_request(kind)
    assert body is not None
    assert body.get("stream") in (None, False)
    if kind == "anthropic":
        assert body["tool_choice"] == {"type": "tool", "name": "crisis_triage"}
        assert body["tools"][0]["input_schema"] == dict(config.schema)
    else:
        spec = body["response_format"]["json_schema"]
        assert (spec["name"], spec["strict"], spec["schema"]) == (
            "crisis_triage",
            True,
            dict(config.schema),
        )


async def test_no_marker_is_no_crisis(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    config: TriageConfig,
    sims: SimulatedProviders,
) -> None:
    """An ordinary message comes back as ``crisis: false``, category ``none``."""
    result = await triage_for(adapter, config).assess(["what is CA-125?"], adapter.name)
    verdict = parse_verdict(result.payload)
    assert (verdict.crisis, verdict.category) == (False, "none")


@pytest.mark.safety("H16")
async def test_malformed_output_fails_validation(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    config: TriageConfig,
    sims: SimulatedProviders,
) -> None:
    """An answer that breaks the schema reaches the caller and fails strict validation."""
    result = await triage_for(adapter, config).assess(["[triage:malformed]"], adapter.name)
    with pytest.raises(MalformedTriageError):
        parse_verdict(result.payload)


@pytest.mark.safety("H16")
async def test_a_slow_triage_times_out_within_its_own_timeout(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    config: TriageConfig,
    sims: SimulatedProviders,
) -> None:
    """A triage slower than its own timeout is a typed timeout, not a hang."""
    with pytest.raises(TriageError) as raised:
        await triage_for(adapter, config).assess(["[triage:slow]"], adapter.name)
    assert raised.value.outcome is Outcome.TIMEOUT


async def test_a_provider_error_is_a_typed_outcome(
    kind: ProviderName,
    adapter: SdkProvider[Any],
    config: TriageConfig,
    sims: SimulatedProviders,
) -> None:
    """A 500 from the tier is ``unavailable`` for the triage's breaker, once (no SDK retry)."""
    sims.set_fault(kind, Fault(FaultKind.STATUS, status=500))
    with pytest.raises(TriageError) as raised:
        await triage_for(adapter, config).assess(["a question"], adapter.name)
    assert raised.value.outcome is Outcome.UNAVAILABLE
    assert sims.count(kind) == 1
