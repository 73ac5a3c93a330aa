"""The Anthropic adapter puts the whole conversation on the wire as the Messages API expects."""

from __future__ import annotations

import dataclasses

import pytest

from shared.models import Message, Outcome
from shared.providers.anthropic_provider import DEFAULT_MAX_TOKENS, AnthropicProvider
from shared.providers.translate import OPENING_USER_TURN
from simulators import SimulatedProviders

from .helpers import ANTHROPIC_TIER, provider_request

pytestmark = pytest.mark.integration

CONVERSATION = (
    Message("assistant", "Hello, I am the assistant."),
    Message("user", "Q1"),
    Message("user", "Q1 continued"),
    Message("system", "Client note"),
    Message("assistant", "A1"),
    Message("user", "Q2"),
)


async def test_sends_system_prompts_as_system(
    anthropic_provider: AnthropicProvider, sims: SimulatedProviders
) -> None:
    """The safety prompt, then the client's system messages, form ``system``."""
    await anthropic_provider.complete(provider_request(*CONVERSATION))
    body = sims.last_request("anthropic")
    assert body is not None
    assert body["system"] == "SAFETY PROMPT\n\nClient note"


async def test_sends_alternating_turns_in_order(
    anthropic_provider: AnthropicProvider, sims: SimulatedProviders
) -> None:
    """Turns arrive in order, same-role runs merged, an opening assistant turn kept."""
    result = await anthropic_provider.complete(provider_request(*CONVERSATION))
    body = sims.last_request("anthropic")
    assert body is not None
    assert result.outcome is Outcome.OK
    assert body["messages"] == [
        {"role": "user", "content": OPENING_USER_TURN},
        {"role": "assistant", "content": "Hello, I am the assistant."},
        {"role": "user", "content": "Q1\n\nQ1 continued"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2"},
    ]


async def test_defaults_max_tokens(
    anthropic_provider: AnthropicProvider, sims: SimulatedProviders
) -> None:
    """The required max_tokens defaults when the request has none."""
    await anthropic_provider.complete(provider_request())
    body = sims.last_request("anthropic")
    assert body is not None
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS


async def test_honours_requested_max_tokens(
    anthropic_provider: AnthropicProvider, sims: SimulatedProviders
) -> None:
    """The request's max_tokens is sent."""
    await anthropic_provider.complete(dataclasses.replace(provider_request(), max_tokens=300))
    body = sims.last_request("anthropic")
    assert body is not None
    assert body["max_tokens"] == 300


async def test_temperature_is_not_sent(
    anthropic_provider: AnthropicProvider, sims: SimulatedProviders
) -> None:
    """The Messages API of the pinned SDK has no temperature, so none is sent and the call works."""
    result = await anthropic_provider.complete(
        dataclasses.replace(provider_request(), temperature=0.5)
    )
    body = sims.last_request("anthropic")
    assert body is not None
    assert (result.outcome, "temperature" in body) == (Outcome.OK, False)


async def test_uses_the_tier_model_and_presents_the_key(
    anthropic_provider: AnthropicProvider, sims: SimulatedProviders
) -> None:
    """The model comes from the tier and the key is presented (the SDK picks the header)."""
    await anthropic_provider.complete(provider_request())
    recorded = sims.last_recorded("anthropic")
    assert recorded is not None
    assert recorded.body is not None
    assert recorded.body["model"] == ANTHROPIC_TIER.model
    assert recorded.auth in {"x-api-key", "bearer"}
