"""Fixtures for the provider adapters: simulated providers and adapters pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from shared.platform.settings import Settings
from shared.providers.anthropic_provider import AnthropicProvider
from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.openai_provider import OpenAIProvider
from simulators import SimulatedProviders

from .helpers import (
    ANTHROPIC_TIER,
    AZURE_TIER,
    FAKE_ANTHROPIC_KEY,
    FAKE_AZURE_KEY,
    FAKE_OPENAI_KEY,
    OPENAI_TIER,
)


@pytest.fixture(scope="session")
def simulated() -> Iterator[SimulatedProviders]:
    """The simulated providers, shared by the session."""
    with SimulatedProviders() as providers:
        yield providers


@pytest.fixture
def sims(simulated: SimulatedProviders) -> Iterator[SimulatedProviders]:
    """The simulated providers with no faults and zeroed counters, cleared again afterwards."""
    simulated.clear()
    yield simulated
    simulated.clear()


@pytest.fixture
def settings(sims: SimulatedProviders) -> Settings:
    """Settings pointing every provider at the simulators, with obviously fake keys."""
    return Settings.from_env(
        {
            "OPENAI_API_KEY": FAKE_OPENAI_KEY,
            "OPENAI_BASE_URL": sims.openai_base_url,
            "AZURE_OPENAI_ENDPOINT": sims.azure_endpoint,
            "AZURE_OPENAI_API_KEY": FAKE_AZURE_KEY,
            "ANTHROPIC_API_KEY": FAKE_ANTHROPIC_KEY,
            "ANTHROPIC_BASE_URL": sims.anthropic_base_url,
        }
    )


@pytest.fixture
async def openai_provider(settings: Settings) -> AsyncIterator[OpenAIProvider]:
    """An OpenAI adapter on the simulator, closed after the test."""
    provider = OpenAIProvider(OPENAI_TIER, settings)
    yield provider
    await provider.aclose()


@pytest.fixture
async def azure_provider(settings: Settings) -> AsyncIterator[AzureOpenAIProvider]:
    """An Azure OpenAI adapter (API key) on the simulator, closed after the test."""
    provider = AzureOpenAIProvider(AZURE_TIER, settings)
    yield provider
    await provider.aclose()


@pytest.fixture
async def anthropic_provider(settings: Settings) -> AsyncIterator[AnthropicProvider]:
    """An Anthropic adapter on the simulator, closed after the test."""
    provider = AnthropicProvider(ANTHROPIC_TIER, settings)
    yield provider
    await provider.aclose()
