"""Rotation config, settings and decisions, and the secret cache: pure, no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from shared.operations.keyvault import (
    AccountKeys,
    SecretCache,
    SecretStoreError,
    SecretVersion,
    latest_enabled,
    parse_resource_id,
)
from shared.operations.rotation import (
    AgeAlertRule,
    Level,
    RotationSettings,
    RotationTarget,
    active_key_name,
    age_level,
    load_rotation_config,
    parse_rotation_config,
    standby_of,
)
from shared.platform.config import ConfigError, TierConfig, TierSettings
from shared.platform.settings import Settings
from tests.support.clocks import ManualClock
from tests.support.configs import three_tiers

from .fakes import RESOURCE_ID, SUBSCRIPTION


def test_the_repository_config_loads() -> None:
    """config/rotation-config.json is valid: 90-day rotation, 80/90-day alerts for two keys."""
    config = load_rotation_config()
    assert config.rotate_after_days == 90.0
    assert config.secret_expiry_days > config.rotate_after_days
    assert [(r.provider, r.warning_days, r.critical_days) for r in config.age_alerts] == [
        ("openai", 80.0, 90.0),
        ("anthropic", 80.0, 90.0),
    ]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"azure_openai": {"rotate_after_days": 1}}, "azure_openai.rotate_after_days"),
        (
            {"azure_openai": {"rotate_after_days": 90, "secret_expiry_days": 90}},
            "azure_openai.secret_expiry_days",
        ),
        ({"azure_openai": {"verify_attempts": 0}}, "azure_openai.verify_attempts"),
        (
            {
                "age_alerts": [
                    {
                        "provider": "openai",
                        "secret_name": "k",
                        "warning_days": 90,
                        "critical_days": 80,
                    }
                ]
            },
            "age_alerts[0].critical_days",
        ),
        ({"age_alerts": [{"provider": "openai"}]}, "age_alerts[0].secret_name"),
    ],
)
def test_invalid_config_names_the_field(document: dict[str, Any], field: str) -> None:
    """A bad value fails loudly and says which field is wrong."""
    with pytest.raises(ConfigError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_rotation_config(document)


TIERS = three_tiers().tiers
SECONDARY = TierConfig(
    "azure_openai_secondary",
    "azure_openai",
    "gpt-4o-mini",
    "ukwest",
    3.0,
    deployment="gpt-4o-mini",
    setting_names=TierSettings(
        endpoint="AZURE_OPENAI_SECONDARY_ENDPOINT",
        api_key="AZURE_OPENAI_SECONDARY_API_KEY",
        resource_id="AZURE_OPENAI_SECONDARY_RESOURCE_ID",
        key_secret_name="AZURE_OPENAI_SECONDARY_KEY_SECRET_NAME",
    ),
)


def test_settings_are_off_unless_enabled() -> None:
    """Rotation and dry run are off by default and read from their app settings."""
    assert RotationSettings.from_settings(Settings(), TIERS) == RotationSettings()
    settings = RotationSettings.from_settings(
        Settings.from_env(
            {
                "SECRET_ROTATION_ENABLED": "true",
                "SECRET_ROTATION_DRY_RUN": "1",
                "KEY_VAULT_URI": "https://kv.vault.azure.net",
                "AZURE_OPENAI_RESOURCE_ID": RESOURCE_ID,
                "AZURE_OPENAI_KEY_SECRET_NAME": "aoai",
            }
        ),
        TIERS,
    )
    assert (settings.enabled, settings.dry_run) == (True, True)
    assert settings.targets == (RotationTarget("azure_openai", RESOURCE_ID, "aoai"),)


def test_each_azure_openai_tier_with_a_resource_id_is_a_target() -> None:
    """Both Azure OpenAI tiers of a chain are rotated, each with its own setting names."""
    second = RESOURCE_ID.replace("askeve-test-openai", "askeve-test-openai-2")
    settings = RotationSettings.from_settings(
        Settings.from_env(
            {
                "AZURE_OPENAI_RESOURCE_ID": RESOURCE_ID,
                "AZURE_OPENAI_KEY_SECRET_NAME": "aoai-uksouth",
                "AZURE_OPENAI_SECONDARY_RESOURCE_ID": second,
                "AZURE_OPENAI_SECONDARY_KEY_SECRET_NAME": "aoai-ukwest",
            }
        ),
        (*TIERS, SECONDARY),
    )
    assert settings.targets == (
        RotationTarget("azure_openai", RESOURCE_ID, "aoai-uksouth"),
        RotationTarget(
            "azure_openai_secondary",
            second,
            "aoai-ukwest",
            "AZURE_OPENAI_SECONDARY_RESOURCE_ID",
        ),
    )
    assert settings.resource_ids == (RESOURCE_ID, second)


def test_a_tier_without_rotation_settings_is_not_a_target() -> None:
    """The secondary tier's settings unset: only the first Azure OpenAI tier is rotated."""
    settings = RotationSettings.from_settings(
        Settings.from_env({"AZURE_OPENAI_RESOURCE_ID": RESOURCE_ID}), (*TIERS, SECONDARY)
    )
    assert [t.tier for t in settings.targets] == ["azure_openai"]


def test_a_malformed_resource_id_names_its_setting() -> None:
    """The error says which tier's setting holds the bad id."""
    with pytest.raises(ValueError, match="AZURE_OPENAI_SECONDARY_RESOURCE_ID"):
        parse_resource_id("not-an-id", setting="AZURE_OPENAI_SECONDARY_RESOURCE_ID")


@pytest.mark.parametrize(
    ("days", "level"),
    [(0.0, Level.OK), (79.99, Level.OK), (80.0, Level.WARNING), (90.0, Level.CRITICAL)],
)
def test_age_levels(days: float, level: Level) -> None:
    """Warning from the warning threshold, critical from the critical one."""
    assert age_level(days, AgeAlertRule("openai", "k", 80.0, 90.0)) is level


def test_the_active_key_is_found_by_value() -> None:
    """Whichever account key equals Key Vault's value is active; neither gives None."""
    keys = AccountKeys("FAKE-KEY-a-not-real", "FAKE-KEY-b-not-real")
    assert active_key_name(keys, "FAKE-KEY-b-not-real") == "Key2"
    assert active_key_name(keys, "FAKE-KEY-a-not-real") == "Key1"
    assert active_key_name(keys, "FAKE-KEY-c-not-real") is None
    assert (standby_of("Key1"), standby_of("Key2")) == ("Key2", "Key1")


def test_a_resource_id_names_the_account() -> None:
    """Subscription, resource group and account come out of the resource id."""
    ref = parse_resource_id(RESOURCE_ID)
    assert (ref.subscription_id, ref.resource_group, ref.account) == (
        SUBSCRIPTION,
        "rg-askeve-test",
        "askeve-test-openai",
    )
    with pytest.raises(ValueError, match="AZURE_OPENAI_RESOURCE_ID"):
        parse_resource_id("/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/x/y")


def test_the_latest_enabled_version_wins() -> None:
    """Disabled versions are skipped; of the rest the newest counts."""
    versions = [
        SecretVersion("k", "old", 100.0),
        SecretVersion("k", "mid", 200.0),
        SecretVersion("k", "new", 300.0, enabled=False),
    ]
    assert latest_enabled(versions) == versions[1]
    assert latest_enabled([]) is None


class Vault:
    """A fetch function whose value and availability a test sets."""

    def __init__(self) -> None:
        self.value = "FAKE-KEY-v1-not-real"
        self.down = False
        self.fetches = 0

    async def fetch(self, name: str) -> str:
        self.fetches += 1
        if self.down:
            raise SecretStoreError(f"read secret {name} failed: HTTP 503")
        return self.value


Clock = ManualClock


async def test_the_cache_picks_up_a_new_version_after_its_ttl() -> None:
    """Inside the TTL the cached value is served; after it, the new version."""
    vault, clock = Vault(), Clock()
    cache = SecretCache(vault.fetch, ttl_s=300.0, clock=clock)
    assert await cache.get("k") == "FAKE-KEY-v1-not-real"
    vault.value = "FAKE-KEY-v2-not-real"
    clock.now = 299.0
    assert await cache.get("k") == "FAKE-KEY-v1-not-real"
    clock.now = 300.0
    assert await cache.get("k") == "FAKE-KEY-v2-not-real"
    assert vault.fetches == 2


async def test_the_cache_keeps_the_last_value_while_key_vault_is_down() -> None:
    """A failed refresh serves the cached value and waits retry_s before trying again."""
    vault, clock = Vault(), Clock()
    cache = SecretCache(vault.fetch, ttl_s=300.0, retry_s=30.0, clock=clock)
    await cache.get("k")
    vault.down = True
    clock.now = 400.0
    assert await cache.get("k") == "FAKE-KEY-v1-not-real"
    clock.now = 429.0
    assert await cache.get("k") == "FAKE-KEY-v1-not-real"
    assert vault.fetches == 2, "no retry inside retry_s"
    clock.now = 431.0
    await cache.get("k")
    assert vault.fetches == 3


async def test_the_cache_raises_when_it_has_nothing_to_serve() -> None:
    """With nothing cached, a failed fetch is the caller's error."""
    vault = Vault()
    vault.down = True
    with pytest.raises(SecretStoreError):
        await SecretCache(vault.fetch, clock=Clock()).get("k")
