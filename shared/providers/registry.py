"""Builds the provider adapters for the configured tiers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared.platform import AppConfig, Settings, TierConfig
from shared.providers.anthropic_provider import AnthropicProvider
from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.base import Provider
from shared.providers.openai_provider import OpenAIProvider
from shared.providers.sdk_adapter import SdkProvider


def build_provider(tier: TierConfig, settings: Settings) -> SdkProvider[Any]:
    """The adapter for one tier, chosen by its ``kind``."""
    if tier.kind == "openai":
        return OpenAIProvider(tier, settings)
    if tier.kind == "azure_openai":
        return AzureOpenAIProvider(tier, settings)
    if tier.kind == "anthropic":
        return AnthropicProvider(tier, settings)
    raise ValueError(f"tier {tier.name!r}: unknown kind {tier.kind!r}")


# The SDKs log each request's options, messages included, at DEBUG. Message content must never
# reach a log, whatever level the host is set to.
_SDK_LOGGERS = ("openai", "anthropic")


def build_providers(config: AppConfig, settings: Settings) -> dict[str, Provider]:
    """One adapter per configured tier (enabled or not), keyed by tier name."""
    for name in _SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    return {tier.name: build_provider(tier, settings) for tier in config.failover.tiers}


async def close_providers(providers: Mapping[str, Provider]) -> None:
    """Close the running loop's SDK clients of every adapter that holds any."""
    for provider in providers.values():
        if isinstance(provider, SdkProvider):
            await provider.aclose()


def preload_providers(providers: Mapping[str, Provider]) -> None:
    """Import every adapter's SDK now, e.g. at worker start-up, instead of on the first request."""
    for provider in providers.values():
        if isinstance(provider, SdkProvider):
            provider.preload()
