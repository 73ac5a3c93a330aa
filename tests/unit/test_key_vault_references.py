"""Unresolved Key Vault references fail closed: the literal reference text is never a secret."""

from __future__ import annotations

import logging

import pytest

from shared.escalation import ack_links_from
from shared.escalation.model import load_escalation_config, missing_audiences
from shared.operations.health import report_body
from shared.platform.settings import Settings, is_unresolved_reference

REFERENCE = "@Microsoft.KeyVault(SecretUri=https://kv-askeve.vault.azure.net/secrets/ack-link-key/)"
LINKS = {"ACK_LINK_KEY": REFERENCE, "ACK_BASE_URL": "https://gateway.invalid"}


@pytest.mark.parametrize(
    "value",
    [
        REFERENCE,
        "@microsoft.keyvault(VaultName=kv;SecretName=x)",
        "  @ Microsoft . KeyVault (SecretUri=https://kv.vault.azure.net/secrets/x)",
        "@MICROSOFT.KEYVAULT(SecretUri=x)",
    ],
)
def test_a_reference_in_any_case_or_spacing_is_recognised(value: str) -> None:
    """The reference is recognised however it is cased or spaced."""
    assert is_unresolved_reference(value)


def test_an_ordinary_secret_is_not_a_reference() -> None:
    """A real key, or a URL that merely names a vault, is kept."""
    assert not is_unresolved_reference("c2VjcmV0LWtleS1mb3ItYWNrcw")
    assert not is_unresolved_reference("https://kv.vault.azure.net/secrets/x")


@pytest.mark.safety("H03")
def test_an_unresolved_ack_link_key_gives_no_links() -> None:
    """With ACK_LINK_KEY unresolved, alerts carry no link: nobody can sign with a public key."""
    assert ack_links_from(Settings.from_env(LINKS)) is None


@pytest.mark.safety("H03")
def test_an_unresolved_pseudonym_key_is_unset() -> None:
    """PSEUDONYM_KEY holding the reference text is treated as unset."""
    settings = Settings.from_env({"PSEUDONYM_KEY": REFERENCE})
    assert settings.pseudonym_key == ""
    assert settings.unresolved == ("PSEUDONYM_KEY",)


@pytest.mark.safety("H11")
def test_an_unresolved_webhook_does_not_count_as_a_channel() -> None:
    """A clinical webhook that is still a reference leaves the clinical audience unreached."""
    settings = Settings.from_env(
        {
            "TEAMS_WEBHOOK_URL": REFERENCE,
            "SUPERVISOR_TEAMS_WEBHOOK_URL": "https://hook/2",
            "OPS_TEAMS_WEBHOOK_URL": "https://hook/3",
        }
    )
    assert missing_audiences(load_escalation_config(), settings.get) == ["clinical"]


def test_an_unresolved_smtp_password_is_unset() -> None:
    """Any setting is covered, not just the named keys: SMTP_PASSWORD reads as empty."""
    settings = Settings.from_env({"SMTP_HOST": "smtp", "SMTP_PASSWORD": REFERENCE})
    assert settings.get("SMTP_PASSWORD") == ""


def test_one_critical_line_names_the_setting_and_never_its_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reading the settings logs one critical line per unresolved setting, without the value."""
    with caplog.at_level(logging.CRITICAL, logger="shared.platform.settings"):
        Settings.from_env(LINKS)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(lines) == 1
    assert "ACK_LINK_KEY" in lines[0]
    assert "vault.azure.net" not in lines[0]
    assert "KeyVault(" not in lines[0]


@pytest.mark.safety("H03")
def test_health_is_misconfigured_and_names_the_setting() -> None:
    """The health document is ``misconfigured`` and lists the setting by name."""
    body = report_body(
        [],
        breaker_store_ok=True,
        health_store_ok=True,
        now=0.0,
        unresolved_settings=Settings.from_env(LINKS).unresolved,
    )
    assert body["status"] == "misconfigured"
    assert body["settings"] == {"unresolved_key_vault_references": ["ACK_LINK_KEY"]}
