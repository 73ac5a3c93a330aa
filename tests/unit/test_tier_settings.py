"""Each tier names the app settings it reads; the standard names are the kinds' defaults."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.platform.config import (
    STANDARD_SETTINGS,
    TIER_KINDS,
    ConfigError,
    TierSettings,
    parse_failover,
)
from shared.platform.flags import flag
from shared.platform.settings import Settings
from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.registry import PROVIDER_KINDS, build_provider

AZURE = {
    "name": "azure_openai",
    "kind": "azure_openai",
    "model": "gpt-4o-mini",
    "deployment": "gpt-4o-mini",
    "region": "ukwest",
}
SECONDARY_SETTINGS = {
    "endpoint": "AZURE_OPENAI_SECONDARY_ENDPOINT",
    "api_key": "AZURE_OPENAI_SECONDARY_API_KEY",
    "deployment": "AZURE_OPENAI_SECONDARY_DEPLOYMENT",
}


def chain(*tiers: dict[str, Any]) -> dict[str, Any]:
    return {"tiers": list(tiers)}


def secondary(**settings: Any) -> dict[str, Any]:
    return {**AZURE, "name": "azure_openai_secondary", "region": "uksouth", "settings": settings}


def test_a_tier_without_settings_reads_its_kinds_standard_names() -> None:
    """Existing configs keep working: no ``settings`` means the names used before."""
    [tier] = parse_failover(chain(AZURE)).tiers
    assert tier.settings == STANDARD_SETTINGS["azure_openai"]
    assert tier.settings.endpoint == "AZURE_OPENAI_ENDPOINT"
    assert tier.settings.resource_id == "AZURE_OPENAI_RESOURCE_ID"


def test_a_settings_object_replaces_the_standard_names_as_a_whole() -> None:
    """Names left out are not read, so a second tier never borrows the first tier's key."""
    [_, tier] = parse_failover(chain(AZURE, secondary(**SECONDARY_SETTINGS))).tiers
    assert tier.settings == TierSettings(**SECONDARY_SETTINGS)
    assert tier.settings.managed_identity == ""


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"api_key": "K"}, r"tiers\[1\]\.settings\.endpoint: required"),
        ({**SECONDARY_SETTINGS, "colour": "X"}, r"tiers\[1\]\.settings\.colour: not a setting"),
        ({**SECONDARY_SETTINGS, "api_key": "not a name"}, r"settings\.api_key: not an app"),
        ({**SECONDARY_SETTINGS, "api_key": ""}, r"settings\.api_key: expected a non-empty"),
    ],
)
def test_a_bad_settings_object_names_the_field(settings: dict[str, Any], field: str) -> None:
    """Missing, unknown or malformed setting names fail loudly with the dotted path."""
    with pytest.raises(ConfigError, match=field):
        parse_failover(chain(AZURE, secondary(**settings)))


def test_openai_tiers_may_not_name_azure_only_settings() -> None:
    """A deployment setting means nothing to an OpenAI tier."""
    tier = {"name": "o", "kind": "openai", "model": "m", "region": "us"}
    tier["settings"] = {"api_key": "K", "deployment": "D"}
    with pytest.raises(ConfigError, match=r"tiers\[0\]\.settings\.deployment: not a setting"):
        parse_failover(chain(tier))


def test_the_registry_has_one_row_per_config_kind() -> None:
    """A kind that config accepts always has an adapter, and its row's names are the defaults."""
    assert set(PROVIDER_KINDS) == set(TIER_KINDS)
    for kind, row in PROVIDER_KINDS.items():
        assert row.settings == STANDARD_SETTINGS[kind]


def test_two_azure_tiers_read_their_own_endpoint_key_and_deployment() -> None:
    """Each adapter takes its values from the settings its tier names."""
    first, second = parse_failover(chain(AZURE, secondary(**SECONDARY_SETTINGS))).tiers
    settings = Settings.from_env(
        {
            "AZURE_OPENAI_ENDPOINT": "http://first.invalid",
            "AZURE_OPENAI_API_KEY": "first-key",
            "AZURE_OPENAI_SECONDARY_ENDPOINT": "http://second.invalid",
            "AZURE_OPENAI_SECONDARY_API_KEY": "second-key",
            "AZURE_OPENAI_SECONDARY_DEPLOYMENT": "second-deployment",
        }
    )
    one, two = build_provider(first, settings), build_provider(second, settings)
    assert isinstance(one, AzureOpenAIProvider)
    assert isinstance(two, AzureOpenAIProvider)
    assert (one._endpoint, one._api_key, one.deployment) == (
        "http://first.invalid",
        "first-key",
        "gpt-4o-mini",
    )
    assert (two._endpoint, two._api_key, two.deployment) == (
        "http://second.invalid",
        "second-key",
        "second-deployment",
    )


def test_an_unset_secondary_tier_is_not_configured_and_says_which_settings() -> None:
    """Without its settings the second tier is skipped, naming its own settings as missing."""
    [_, tier] = parse_failover(chain(AZURE, secondary(**SECONDARY_SETTINGS))).tiers
    provider = build_provider(tier, Settings.from_env({"AZURE_OPENAI_API_KEY": "k"}))
    assert not provider.configured
    assert provider._missing() == "AZURE_OPENAI_SECONDARY_ENDPOINT, AZURE_OPENAI_SECONDARY_API_KEY"


def test_the_deployment_setting_wins_over_the_config_deployment() -> None:
    """Setting when set, else the tier's ``deployment`` in config."""
    [tier] = parse_failover(chain(copy.deepcopy(AZURE))).tiers
    unset = build_provider(tier, Settings.from_env({}))
    set_ = build_provider(tier, Settings.from_env({"AZURE_OPENAI_DEPLOYMENT": "from-setting"}))
    assert isinstance(unset, AzureOpenAIProvider)
    assert isinstance(set_, AzureOpenAIProvider)
    assert (unset.deployment, set_.deployment) == ("gpt-4o-mini", "from-setting")


@pytest.mark.parametrize(
    ("value", "on"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("", False)],
)
def test_one_flag_parser(value: str, on: bool) -> None:
    """1, true, yes and on, in any case, switch a setting on; anything else is off."""
    assert flag(value) is on
    assert flag(None) is False
