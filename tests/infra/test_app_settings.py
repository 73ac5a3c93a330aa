"""The Function App settings match the names the app reads, with secrets in Key Vault only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import _bicep

REGION = _bicep.INFRA / "modules" / "region.bicep"
CONTRACT = {
    "AzureWebJobsStorage__accountName",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_USE_MANAGED_IDENTITY",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_DEPLOYMENT",
    "AZURE_OPENAI_API_VERSION",
    "TEAMS_WEBHOOK_URL",
    "ALERT_EMAIL_TO",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_FROM",
    "SMTP_STARTTLS",
    "PSEUDONYM_KEY",
    "DATA_RESIDENCY",
    "KEY_VAULT_URI",
    "ASKEVE_STATUS_POLL_INTERVAL_MS",
    "HEALTH_CHECK_SCHEDULE",
    "SECRET_ROTATION_SCHEDULE",
    # Every alert audience: nurse team (above), supervisor and operations.
    "SUPERVISOR_TEAMS_WEBHOOK_URL",
    "SUPERVISOR_EMAIL_TO",
    "OPS_TEAMS_WEBHOOK_URL",
    "OPS_ALERT_EMAIL_TO",
    "ACK_LINK_KEY",
    "ACK_BASE_URL",
    "ACK_REGION",
    "ACK_REGION_URLS",
    "OPERATOR_GROUP_ID",
    "FRONT_DOOR_ID",
    "BOT_BACKEND_ADDRESSES",
    "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY",
}
KEY_VAULT_SECRETS = {
    "OPENAI_API_KEY": "openai-api-key",
    "ANTHROPIC_API_KEY": "anthropic-api-key",
    "TEAMS_WEBHOOK_URL": "teams-webhook-url",
    "SMTP_PASSWORD": "smtp-password",
    "PSEUDONYM_KEY": "pseudonym-key",
    "SUPERVISOR_TEAMS_WEBHOOK_URL": "supervisor-teams-webhook-url",
    "OPS_TEAMS_WEBHOOK_URL": "ops-teams-webhook-url",
    "ACK_LINK_KEY": "ack-link-key",
}


def _settings() -> dict[str, Any]:
    settings: dict[str, Any] = _bicep.module("settings", REGION).params["settings"]
    return settings


def test_settings_cover_the_app_contract() -> None:
    """Every setting the app reads is set."""
    missing = CONTRACT - set(_settings())
    assert not missing, sorted(missing)


def test_secrets_are_key_vault_references() -> None:
    """Provider keys and other secrets are Key Vault references, never values."""
    settings = _settings()
    for name, secret in KEY_VAULT_SECRETS.items():
        assert settings[name] == (
            f"@Microsoft.KeyVault(VaultName=${{keyVaultName}};SecretName={secret})"
        ), name


def test_azure_openai_key_fallback_is_a_key_vault_reference() -> None:
    """The Azure OpenAI key fallback points at the key copy in Key Vault when keys are on."""
    operands = _settings()["AZURE_OPENAI_API_KEY"]["operator"]["operands"]
    assert operands["condition"] == "openAiKeyAuthEnabled"
    assert operands["true_value"].startswith("@Microsoft.KeyVault(VaultName=${keyVaultName};")


@pytest.mark.safety("H08")
def test_fixed_values_match_the_contract() -> None:
    """Managed identity for Azure OpenAI, UK residency and the 100 ms status poll."""
    settings = _settings()
    assert settings["AZURE_OPENAI_USE_MANAGED_IDENTITY"] == "true"
    assert settings["DATA_RESIDENCY"] == "uk"
    assert settings["ASKEVE_STATUS_POLL_INTERVAL_MS"] == "100"


def test_storage_connection_is_identity_based() -> None:
    """AzureWebJobsStorage is an account name for the identity, never a connection string."""
    settings = _settings()
    assert "AzureWebJobsStorage" not in settings
    assert not any("ConnectionString" in str(v) for v in settings.values())


def test_schedules_default_to_the_contract() -> None:
    """Health checks every minute and secret rotation at 02:30, as NCRONTAB."""
    declared = _bicep.params(_bicep.MAIN)
    assert declared["healthCheckSchedule"]["default"] == "0 */1 * * * *"
    assert declared["secretRotationSchedule"]["default"] == "0 30 2 * * *"


@pytest.mark.safety("H11")
def test_every_alert_audience_has_both_channels() -> None:
    """Nurse team, supervisor and operations each get a Teams webhook and an e-mail list."""
    settings = _settings()
    for webhook, email in (
        ("TEAMS_WEBHOOK_URL", "ALERT_EMAIL_TO"),
        ("SUPERVISOR_TEAMS_WEBHOOK_URL", "SUPERVISOR_EMAIL_TO"),
        ("OPS_TEAMS_WEBHOOK_URL", "OPS_ALERT_EMAIL_TO"),
    ):
        assert settings[webhook].startswith("@Microsoft.KeyVault("), webhook
        assert settings[email], email
    assert settings["SMTP_HOST"] == "smtpHost"


def test_audience_addresses_are_required_parameters() -> None:
    """The supervisor and operations addresses have no default: a deployment must name them."""
    declared = _bicep.params(_bicep.MAIN)
    for name in ("supervisorEmailTo", "opsAlertEmailTo"):
        assert declared[name].get("default") is None, name


def test_the_worker_exports_opentelemetry_once() -> None:
    """The worker's flag is set once, in the region's settings: the worker configures Azure
    Monitor (host.json telemetryMode OpenTelemetry), so logs are exported once and the chat span
    joins the host's trace; the app then configures nothing itself."""
    assert _settings()["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"
    mentions = [
        path
        for path in [*_bicep.bicep_files(), *(_bicep.INFRA / "params").glob("*.json")]
        if "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY" in path.read_text("utf-8")
        or "PYTHON_ENABLE_OPENTELEMETRY" in path.read_text("utf-8")
    ]
    assert mentions == [REGION]


def test_acknowledgement_links_point_at_front_door_in_the_app_region() -> None:
    """Links go to the Front Door host, name the app's region, and reach either region."""
    settings = _settings()
    assert settings["ACK_BASE_URL"] == "https://${frontDoorHostName}"
    assert settings["ACK_REGION"] == "location"
    assert settings["ACK_REGION_URLS"] == (
        "uksouth=https://${frontDoorHostName},ukwest=https://${frontDoorHostName}"
    )


def test_per_ip_limits_trust_only_this_front_door() -> None:
    """FRONT_DOOR_ID is the profile id the access rule admits."""
    assert _settings()["FRONT_DOOR_ID"] == "frontDoorId"


@pytest.mark.safety("H09")
def test_the_bot_backend_is_exempt_in_the_app_as_at_the_edge() -> None:
    """BOT_BACKEND_ADDRESSES is the same address list the WAF's AllowBotBackend rule matches."""
    joined = {
        "type": "join",
        "parameters": {"input_array": "botBackendAddresses", "delimiter": ","},
    }
    assert _settings()["BOT_BACKEND_ADDRESSES"] == {"function": joined}
    assert _bicep.module("regionStacks").params["botBackendAddresses"] == "botBackendAddresses"
    waf_rule = _bicep.module("frontDoorRouting").params["botBackendAddresses"]
    assert waf_rule == "botBackendAddresses"


def test_flex_runtime_settings_are_not_set() -> None:
    """Flex Consumption rejects the runtime settings; functionAppConfig sets the runtime."""
    settings = _settings()
    assert "FUNCTIONS_WORKER_RUNTIME" not in settings
    assert "FUNCTIONS_EXTENSION_VERSION" not in settings
    assert "WEBSITE_RUN_FROM_PACKAGE" not in settings


SECONDARY_SETTINGS = {
    "AZURE_OPENAI_SECONDARY_ENDPOINT",
    "AZURE_OPENAI_SECONDARY_USE_MANAGED_IDENTITY",
    "AZURE_OPENAI_SECONDARY_API_KEY",
    "AZURE_OPENAI_SECONDARY_DEPLOYMENT",
    "AZURE_OPENAI_SECONDARY_API_VERSION",
    "AZURE_OPENAI_SECONDARY_RESOURCE_ID",
    "AZURE_OPENAI_SECONDARY_KEY_SECRET_NAME",
}


def test_each_region_calls_both_uk_openai_accounts_own_region_first() -> None:
    """Both UK accounts by default; own region's as azure_openai, the other as the secondary."""
    declared = _bicep.params(_bicep.MAIN)
    assert declared["openAiLocations"]["default"] == ["uksouth", "ukwest"]
    own = _bicep.variable(_bicep.MAIN, "openAiLocationFor")
    other = _bicep.variable(_bicep.MAIN, "openAiSecondaryFor")
    assert set(own) == set(other) == {"uksouth", "ukwest"}
    stack = _bicep.module("regionStacks").params
    assert "openAiLocationFor" in list(_bicep.walk(stack["openAiEndpoint"]))
    assert "openAiSecondaryFor" in list(_bicep.walk(stack["openAiSecondaryEndpoint"]))
    settings = _settings()
    assert settings["AZURE_OPENAI_ENDPOINT"] == "openAiEndpoint"
    assert settings["AZURE_OPENAI_SECONDARY_ENDPOINT"] == "openAiSecondaryEndpoint"
    assert set(settings) >= SECONDARY_SETTINGS
    # Each tier's region is its own account's, so residency and the status page tell the truth.
    assert settings["AZURE_OPENAI_REGION"] == "openAiLocation"
    assert settings["AZURE_OPENAI_SECONDARY_REGION"] == "openAiSecondaryRegion"
    assert "openAiLocationFor" in list(_bicep.walk(stack["openAiLocation"]))
    assert "openAiSecondaryFor" in list(_bicep.walk(stack["openAiSecondaryRegion"]))
    key = settings["AZURE_OPENAI_SECONDARY_API_KEY"]["operator"]["operands"]["true_value"]
    assert key == (
        "@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${openAiSecondaryKeySecretName})"
    )


def test_the_app_identity_may_call_both_accounts() -> None:
    """OpenAI User on the secondary account too, through the same least-privilege module."""
    region = _bicep.INFRA / "modules" / "region.bicep"
    secondary = _bicep.module("openAiAccessSecondary", region)
    assert secondary.target.name == "access-openai.bicep"
    assert secondary.params["openAiAccountName"]["operator"]["operands"]["true_value"] == (
        "openAiSecondaryAccountName"
    )
