"""Shared values for the provider tests: fake credentials, test tiers, request builder."""

from __future__ import annotations

from shared.models import Message, ProviderRequest
from shared.platform.config import TierConfig

FAKE_OPENAI_KEY = "sk-test-not-a-real-key"
FAKE_AZURE_KEY = "test-azure-key-not-real"
FAKE_ANTHROPIC_KEY = "sk-ant-test-not-a-real-key"

# Model names that no SDK list knows, so no SDK deprecation warning can fire in tests.
OPENAI_TIER = TierConfig(
    name="openai", kind="openai", model="sim-gpt", region="us", first_token_s=3.0
)
AZURE_TIER = TierConfig(
    name="azure_openai",
    kind="azure_openai",
    model="sim-gpt",
    region="ukwest",
    first_token_s=3.0,
    deployment="sim-deployment",
)
ANTHROPIC_TIER = TierConfig(
    name="anthropic", kind="anthropic", model="sim-claude", region="us", first_token_s=3.0
)


def provider_request(*messages: Message, timeout_s: float = 5.0) -> ProviderRequest:
    """A request with the given turns (default: one user question) and a safety prompt."""
    return ProviderRequest(
        system_prompt="SAFETY PROMPT",
        messages=messages or (Message("user", "What does the nurse line do?"),),
        timeout_s=timeout_s,
    )
