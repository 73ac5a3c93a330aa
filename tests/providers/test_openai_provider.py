"""The OpenAI adapter puts the whole conversation on the wire as Chat Completions expects."""

from __future__ import annotations

import dataclasses

import pytest

from shared.models import Message, Outcome
from shared.providers.openai_provider import OpenAIProvider
from simulators import SimulatedProviders

from .helpers import OPENAI_TIER, provider_request

pytestmark = pytest.mark.integration

CONVERSATION = (
    Message("user", "Q1"),
    Message("assistant", "A1"),
    Message("system", "Client note"),
    Message("user", "Q2"),
)


async def test_sends_safety_prompt_then_every_turn_in_order(
    openai_provider: OpenAIProvider, sims: SimulatedProviders
) -> None:
    """The safety prompt leads; client turns, system ones included, follow in order."""
    await openai_provider.complete(provider_request(*CONVERSATION))
    body = sims.last_request("openai")
    assert body is not None
    assert body["messages"] == [
        {"role": "system", "content": "SAFETY PROMPT"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
        {"role": "system", "content": "Client note"},
        {"role": "user", "content": "Q2"},
    ]


async def test_uses_the_tier_model(
    openai_provider: OpenAIProvider, sims: SimulatedProviders
) -> None:
    """The model comes from the tier config."""
    await openai_provider.complete(provider_request())
    body = sims.last_request("openai")
    assert body is not None
    assert body["model"] == OPENAI_TIER.model


async def test_passes_limits_when_given(
    openai_provider: OpenAIProvider, sims: SimulatedProviders
) -> None:
    """max_tokens and temperature are sent when the request sets them."""
    request = dataclasses.replace(provider_request(), max_tokens=200, temperature=0.2)
    await openai_provider.complete(request)
    body = sims.last_request("openai")
    assert body is not None
    assert (body["max_tokens"], body["temperature"]) == (200, 0.2)


async def test_omits_limits_when_absent(
    openai_provider: OpenAIProvider, sims: SimulatedProviders
) -> None:
    """Without limits in the request the provider's defaults apply."""
    await openai_provider.complete(provider_request())
    body = sims.last_request("openai")
    assert body is not None
    assert "max_tokens" not in body
    assert "temperature" not in body


async def test_authenticates_with_bearer_key(
    openai_provider: OpenAIProvider, sims: SimulatedProviders
) -> None:
    """The API key goes in an Authorization bearer header."""
    await openai_provider.complete(provider_request())
    recorded = sims.last_recorded("openai")
    assert recorded is not None
    assert (recorded.path, recorded.auth) == ("/v1/chat/completions", "bearer")


async def test_reports_the_model_that_answered(
    openai_provider: OpenAIProvider, sims: SimulatedProviders
) -> None:
    """The completion names the model from the response."""
    result = await openai_provider.complete(provider_request())
    assert result.outcome is Outcome.OK
    assert result.completion is not None
    assert result.completion.model == OPENAI_TIER.model
