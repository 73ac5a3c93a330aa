"""An unresolved Key Vault reference makes the deployed app say ``misconfigured``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.health.conftest import Gateway

REFERENCE = "@Microsoft.KeyVault(SecretUri=https://kv-askeve.vault.azure.net/secrets/pseudonym/)"


@pytest.mark.safety("H03")
@pytest.mark.integration
def test_health_is_misconfigured_while_a_reference_is_unresolved(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """On the dev host, PSEUDONYM_KEY holding the reference text makes /api/health
    ``misconfigured`` and names the setting, never its value."""
    gateway = start_health_gateway(extra={"PSEUDONYM_KEY": REFERENCE})
    response = gateway.get("/api/health")
    body = response.json()
    assert body["status"] == "misconfigured"
    assert body["settings"] == {"unresolved_key_vault_references": ["PSEUDONYM_KEY"]}
    assert "vault.azure.net" not in response.text
