"""The registry builds one adapter per configured tier, chosen by kind."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from shared.platform.config import load_config
from shared.platform.settings import Settings
from shared.providers.anthropic_provider import AnthropicProvider
from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.openai_provider import OpenAIProvider
from shared.providers.registry import build_provider, build_providers, close_providers

from .helpers import OPENAI_TIER


def test_builds_each_tier_by_kind() -> None:
    """Every tier of the repository config gets the adapter of its kind, keyed by name."""
    providers = build_providers(load_config(), Settings())
    assert {name: type(p) for name, p in providers.items()} == {
        "openai": OpenAIProvider,
        "azure_openai": AzureOpenAIProvider,
        "azure_openai_secondary": AzureOpenAIProvider,
        "anthropic": AnthropicProvider,
    }


def test_adapter_names_are_tier_names() -> None:
    """An adapter reports its tier's name."""
    providers = build_providers(load_config(), Settings())
    assert all(provider.name == name for name, provider in providers.items())


def test_unknown_kind_is_refused() -> None:
    """A kind without an adapter fails loudly, naming the tier."""
    with pytest.raises(ValueError, match="openai"):
        build_provider(dataclasses.replace(OPENAI_TIER, kind="other"), Settings())


def test_nothing_configured_without_settings() -> None:
    """With no credentials, no tier claims to be configured."""
    providers = build_providers(load_config(), Settings())
    assert not any(provider.configured for provider in providers.values())


async def test_close_providers_accepts_unused_adapters() -> None:
    """Closing adapters that never made a call is harmless."""
    await close_providers(build_providers(load_config(), Settings()))


def loaded_after(statement: str) -> bool:
    """Whether a fresh interpreter has any heavy SDK loaded after running ``statement``."""
    code = (
        "import sys; from shared.platform.config import load_config; "
        "from shared.platform.settings import Settings; "
        "from shared.providers.registry import build_providers, preload_providers; "
        f"{statement}; "
        "print(any(m in sys.modules for m in ('openai', 'anthropic', 'azure.identity')))"
    )
    output = subprocess.run(  # noqa: S603 - a fixed argv
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    return output.strip() == "True"


@pytest.mark.integration
def test_building_the_adapters_does_not_load_sdks() -> None:
    """Importing and building the adapters leaves the heavy SDKs unloaded (cheap cold start)."""
    assert not loaded_after("build_providers(load_config(), Settings())")


@pytest.mark.integration
def test_preload_loads_the_sdks() -> None:
    """preload imports the SDK ahead of the first request."""
    assert loaded_after(
        "[p.preload() for p in build_providers(load_config(), Settings()).values()]"
    )
