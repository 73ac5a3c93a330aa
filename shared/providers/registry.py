"""The provider kinds, and building the adapters for the configured tiers.

:data:`PROVIDER_KINDS` has one row per kind: its adapter class and the app setting names a tier
of that kind reads unless its config names others. The names live in the platform layer
(:data:`~shared.platform.config.STANDARD_SETTINGS`), because config validation needs the list
of kinds and the platform must not import the providers; this module checks on import that its
rows and that table name the same kinds. A new provider kind is one adapter module, one row
here, one row in ``STANDARD_SETTINGS`` (with its required names) and its simulator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.platform import STANDARD_SETTINGS, AppConfig, Settings, TierConfig, TierSettings
from shared.providers.anthropic_provider import AnthropicProvider
from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.base import Provider
from shared.providers.openai_provider import OpenAIProvider
from shared.providers.sdk_adapter import SdkProvider


class AdapterClass(Protocol):
    """What every adapter's constructor takes: the tier, and the app settings to read."""

    def __call__(self, tier: TierConfig, settings: Settings, /) -> SdkProvider[Any]: ...


@dataclass(frozen=True, slots=True)
class ProviderKind:
    """One row of the registry."""

    adapter: AdapterClass
    settings: TierSettings


PROVIDER_KINDS: Mapping[str, ProviderKind] = {
    "openai": ProviderKind(OpenAIProvider, STANDARD_SETTINGS["openai"]),
    "azure_openai": ProviderKind(AzureOpenAIProvider, STANDARD_SETTINGS["azure_openai"]),
    "anthropic": ProviderKind(AnthropicProvider, STANDARD_SETTINGS["anthropic"]),
}


def _check_rows() -> None:
    """The registry and the config's kinds must agree, or a valid tier would have no adapter."""
    if set(PROVIDER_KINDS) != set(STANDARD_SETTINGS):
        raise RuntimeError(
            "shared.providers.registry.PROVIDER_KINDS and "
            "shared.platform.config.STANDARD_SETTINGS name different kinds"
        )


_check_rows()


def build_provider(tier: TierConfig, settings: Settings) -> SdkProvider[Any]:
    """The adapter for one tier, chosen by its ``kind``, reading the settings the tier names."""
    row = PROVIDER_KINDS.get(tier.kind)
    if row is None:
        raise ValueError(f"tier {tier.name!r}: unknown kind {tier.kind!r}")
    return row.adapter(tier, settings)


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
