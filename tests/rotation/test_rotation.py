"""The rotation job through the real Azure SDK clients against loopback fakes."""

from __future__ import annotations

import dataclasses

import pytest

from shared.operations.rotation import TAG_KEY_NAME, TAG_PREVIOUS, Level, RotationSettings
from shared.platform.config import TierConfig, TierSettings
from shared.platform.settings import Settings

from .conftest import AZURE_SECRET, AZURE_TIER, CONFIG, ENABLED, Rotation, RunResult
from .fakes import DEPLOYMENT, RESOURCE_ID, VAULT_URL, FakeAzure, FakeOpenAIEndpoint

pytestmark = pytest.mark.integration


async def test_a_due_key_is_replaced_by_the_verified_standby(
    rotation: Rotation, azure: FakeAzure, endpoint: FakeOpenAIEndpoint
) -> None:
    """Key2 is regenerated, verified with a real call, then stored as the new latest version."""
    old_key1, old_key2 = azure.keys["Key1"], azure.keys["Key2"]
    before = azure.latest(AZURE_SECRET)
    outcome = await rotation.run()
    latest = azure.latest(AZURE_SECRET)
    assert outcome.report.actions[:3] == ["regenerated", "verified", "rotated"]
    assert azure.keys["Key1"] == old_key1, "the old active key stays valid"
    assert azure.keys["Key2"] != old_key2
    assert latest.value == azure.keys["Key2"]
    assert endpoint.keys_seen == [azure.keys["Key2"]], "verified with the new key"
    assert latest.tags[TAG_KEY_NAME] == "Key2"
    assert latest.tags[TAG_PREVIOUS] == before.version
    assert latest.expires == pytest.approx(rotation.clock.now + 180 * 86_400, abs=1)
    assert outcome.alerts == []


async def test_the_next_cycle_regenerates_the_other_key(
    rotation: Rotation, azure: FakeAzure
) -> None:
    """90 days later Key1, now the standby, is regenerated; Key2 was left alone until then."""
    await rotation.run()
    active_key2 = azure.keys["Key2"]
    rotation.clock.advance_days(91)
    outcome = await rotation.run()
    assert outcome.report.actions[:3] == ["regenerated", "verified", "rotated"]
    assert azure.keys["Key2"] == active_key2
    assert azure.latest(AZURE_SECRET).value == azure.keys["Key1"]
    assert azure.latest(AZURE_SECRET).tags[TAG_KEY_NAME] == "Key1"


async def test_a_key_that_fails_verification_leaves_the_active_key_untouched(
    rotation: Rotation, azure: FakeAzure, endpoint: FakeOpenAIEndpoint
) -> None:
    """No new version when the new key is rejected; the key in use still works; a warning."""
    endpoint.rejecting = True
    before = azure.latest(AZURE_SECRET)
    outcome = await rotation.run()
    assert azure.latest(AZURE_SECRET) == before
    assert before.value == azure.keys["Key1"], "the active key was not regenerated"
    assert "set_secret" not in azure.writes()
    assert "verification_failed" in outcome.report.actions
    assert len(endpoint.keys_seen) == CONFIG.verify_attempts
    assert outcome.sleeps == [CONFIG.verify_delay_s]
    [alert] = outcome.alerts
    assert alert.severity == Level.WARNING
    assert ("outcome", "auth_error") in alert.facts


async def test_a_failed_regeneration_changes_nothing(rotation: Rotation, azure: FakeAzure) -> None:
    """If the management API refuses, Key Vault is not touched and operations are told."""
    azure.failures["regenerate"] = 403
    before = azure.latest(AZURE_SECRET)
    outcome = await rotation.run()
    assert azure.latest(AZURE_SECRET) == before
    assert azure.writes() == ["regenerate"]
    failed = next(e for e in outcome.audit.entries if e.action == "failed")
    assert failed.fields["step"] == "regenerate"
    assert failed.fields["error"] == "regenerate Key2 failed: HTTP 403 Forbidden"
    assert [a.severity for a in outcome.alerts] == [Level.WARNING]


async def test_a_failed_switch_leaves_the_active_key_untouched(
    rotation: Rotation, azure: FakeAzure
) -> None:
    """If Key Vault refuses the new version, the old one stays latest and still works."""
    azure.failures["set_secret"] = 403
    before = azure.latest(AZURE_SECRET)
    outcome = await rotation.run()
    assert azure.latest(AZURE_SECRET) == before
    assert azure.keys["Key1"] == before.value
    assert outcome.report.actions[:3] == ["regenerated", "verified", "failed"]
    assert outcome.alerts[0].facts[2:4] == (
        ("step", "switch"),
        ("error", outcome.audit.entries[2].fields["error"]),
    )


async def test_a_key_that_is_not_due_is_left_alone(rotation: Rotation, azure: FakeAzure) -> None:
    """A version younger than rotate_after_days: no key is listed or regenerated."""
    rotation.clock.advance_days(-2)  # the active version is now 89 days old
    outcome = await rotation.run()
    assert outcome.report.actions[0] == "not_due"
    assert ("POST", "list_keys") not in azure.requests
    assert azure.writes() == []


async def test_dry_run_reads_and_decides_but_writes_nothing(
    rotation: Rotation, azure: FakeAzure
) -> None:
    """Dry run: no regeneration, no new version; the audit says what would have happened."""
    outcome = await rotation.run(settings=dataclasses.replace(ENABLED, dry_run=True))
    assert azure.writes() == []
    dry = outcome.audit.entries[0]
    assert (dry.action, dry.fields["active"], dry.fields["would_regenerate"]) == (
        "dry_run",
        "Key1",
        "Key2",
    )


async def test_the_key_vault_holds_is_never_regenerated(
    rotation: Rotation, azure: FakeAzure
) -> None:
    """Key Vault holds Key2 although an old tag says Key1: Key1 is the one regenerated."""
    azure.put_secret(AZURE_SECRET, azure.keys["Key2"], age_days=95, tags={TAG_KEY_NAME: "Key1"})
    azure.vault[AZURE_SECRET] = azure.vault[AZURE_SECRET][-1:]
    active = azure.keys["Key2"]
    await rotation.run()
    assert azure.keys["Key2"] == active
    assert azure.latest(AZURE_SECRET).value == azure.keys["Key1"]


async def test_a_key_vault_value_matching_no_account_key_stops_everything(
    rotation: Rotation, azure: FakeAzure
) -> None:
    """If the stored key is neither account key, nothing is regenerated and it is critical."""
    azure.put_secret(AZURE_SECRET, "FAKE-KEY-unknown-not-real", age_days=95)
    azure.vault[AZURE_SECRET] = azure.vault[AZURE_SECRET][-1:]
    outcome = await rotation.run()
    assert azure.writes() == []
    assert outcome.report.actions[0] == "active_key_unknown"
    assert outcome.alerts[0].severity == Level.CRITICAL


async def test_a_secret_changed_during_the_run_is_not_overwritten(
    rotation: Rotation, azure: FakeAzure
) -> None:
    """Another writer's new version between read and switch wins; this run stops."""

    def another_writer() -> None:
        azure.put_secret(AZURE_SECRET, azure.keys["Key1"])

    azure.after["regenerate"] = another_writer
    outcome = await rotation.run()
    assert "concurrent_change" in outcome.report.actions
    assert "set_secret" not in azure.writes()


def anthropic_alerts(outcome: RunResult) -> list[Level]:
    return [a.severity for a in outcome.alerts if ("provider", "anthropic") in a.facts]


@pytest.mark.parametrize(
    ("age", "level"),
    [(79.9, None), (80.0, Level.WARNING), (89.0, Level.WARNING), (90.0, Level.CRITICAL)],
)
async def test_unrotatable_keys_raise_age_alerts(
    rotation: Rotation, azure: FakeAzure, age: float, level: Level | None
) -> None:
    """OpenAI's key: nothing before 80 days, a warning from 80, critical from 90."""
    azure.vault["openai-api-key"] = []
    azure.put_secret("openai-api-key", "FAKE-KEY-openai-2-not-real", age_days=age)
    outcome = await rotation.run()
    alerts = [a for a in outcome.alerts if ("provider", "openai") in a.facts]
    assert [a.severity for a in alerts] == ([] if level is None else [level])
    audit = next(e for e in outcome.audit.entries if e.target == "openai-api-key")
    assert audit.action == f"age_{(level or Level.OK).value}"
    assert audit.fields["age_days"] == pytest.approx(age, abs=0.01)


async def test_the_age_is_that_of_the_latest_enabled_version(
    rotation: Rotation, azure: FakeAzure
) -> None:
    """A fresh version hides an old one, unless the fresh one is disabled."""
    azure.vault["anthropic-api-key"] = []
    azure.put_secret("anthropic-api-key", "FAKE-KEY-anthropic-old-not-real", age_days=120)
    fresh = azure.put_secret("anthropic-api-key", "FAKE-KEY-anthropic-new-not-real", age_days=1)
    assert anthropic_alerts(await rotation.run()) == []
    fresh.enabled = False
    assert anthropic_alerts(await rotation.run()) == [Level.CRITICAL]


async def test_an_unreadable_secret_is_reported(rotation: Rotation, azure: FakeAzure) -> None:
    """If a key's versions cannot be listed, operations hear that its age is unknown."""
    azure.failures["list_versions"] = 403
    outcome = await rotation.run()
    failed = [e for e in outcome.audit.entries if e.action == "failed"]
    assert {e.target for e in failed} == {"openai-api-key", "anthropic-api-key"}
    assert {e.fields["step"] for e in failed} == {"read_versions"}
    assert len(outcome.alerts) == 2


SECOND_RESOURCE_ID = RESOURCE_ID.replace("askeve-test-openai", "askeve-test-openai-ukw")
SECOND_SECRET = "azure-openai-api-key-ukwest"
SECOND_TIER = TierConfig(
    "azure_openai_secondary",
    "azure_openai",
    "gpt-4o-mini",
    "ukwest",
    3.0,
    deployment=DEPLOYMENT,
    setting_names=TierSettings(
        endpoint="AZURE_OPENAI_SECONDARY_ENDPOINT",
        api_key="AZURE_OPENAI_SECONDARY_API_KEY",
        resource_id="AZURE_OPENAI_SECONDARY_RESOURCE_ID",
        key_secret_name="AZURE_OPENAI_SECONDARY_KEY_SECRET_NAME",
    ),
)


async def test_two_azure_openai_tiers_are_each_rotated_against_their_own_account(
    rotation: Rotation, azure: FakeAzure, endpoint: FakeOpenAIEndpoint
) -> None:
    """Each tier's own account is regenerated, its own secret switched, its own endpoint used."""
    second_keys = azure.add_account(SECOND_RESOURCE_ID)
    azure.put_secret(SECOND_SECRET, second_keys["Key1"], age_days=91)
    first_old, second_old = dict(azure.keys), dict(second_keys)
    second_endpoint = FakeOpenAIEndpoint(azure, SECOND_RESOURCE_ID)
    await second_endpoint.start()
    env = {
        "SECRET_ROTATION_ENABLED": "true",
        "KEY_VAULT_URI": VAULT_URL,
        "AZURE_OPENAI_ENDPOINT": endpoint.url,
        "AZURE_OPENAI_RESOURCE_ID": RESOURCE_ID,
        "AZURE_OPENAI_KEY_SECRET_NAME": AZURE_SECRET,
        "AZURE_OPENAI_SECONDARY_ENDPOINT": second_endpoint.url,
        "AZURE_OPENAI_SECONDARY_RESOURCE_ID": SECOND_RESOURCE_ID,
        "AZURE_OPENAI_SECONDARY_KEY_SECRET_NAME": SECOND_SECRET,
    }
    tiers = (AZURE_TIER, SECOND_TIER)
    settings = RotationSettings.from_settings(Settings.from_env(env), tiers)
    try:
        outcome = await rotation.run(settings, tiers=tiers, env=env)
    finally:
        await second_endpoint.stop()
    rotated = [e.target for e in outcome.report.audit if e.action == "rotated"]
    assert rotated == [AZURE_SECRET, SECOND_SECRET]
    assert azure.keys["Key1"] == first_old["Key1"] != azure.keys["Key2"] != first_old["Key2"]
    assert second_keys["Key1"] == second_old["Key1"]
    assert second_keys["Key2"] != second_old["Key2"]
    assert azure.latest(AZURE_SECRET).value == azure.keys["Key2"]
    assert azure.latest(SECOND_SECRET).value == second_keys["Key2"]
    assert endpoint.keys_seen == [azure.keys["Key2"]], "tier 1's key, at tier 1's endpoint"
    assert second_endpoint.keys_seen == [second_keys["Key2"]], "tier 2's key, at its endpoint"
    assert outcome.alerts == []
