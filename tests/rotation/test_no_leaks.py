"""No key ever reaches a log line, an audit row, an alert or an exception message."""

from __future__ import annotations

import logging
import traceback

import pytest

from shared.operations.keyvault import (
    AccountKeys,
    Secret,
    SecretStoreError,
    SecretVersion,
    azure_key_stores,
)

from .conftest import Rotation, RunResult
from .fakes import (
    RESOURCE_ID,
    VAULT_URL,
    FakeAzure,
    FakeCredential,
    FakeOpenAIEndpoint,
    FakeTransport,
)

pytestmark = pytest.mark.integration


def everything_written(results: list[RunResult]) -> str:
    parts: list[str] = []
    for result in results:
        parts.append(repr(result.report))
        parts.extend(str(entry.row()) for entry in result.audit.entries)
        parts.extend(repr(alert) for alert in result.alerts)
    return "\n".join(parts)


async def test_keys_stay_out_of_logs_audit_and_alerts(
    rotation: Rotation,
    azure: FakeAzure,
    endpoint: FakeOpenAIEndpoint,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rotation, a failed verification and a failed switch, all logged at DEBUG: no key."""
    caplog.set_level(logging.DEBUG)
    results = [await rotation.run()]
    rotation.clock.advance_days(91)
    endpoint.rejecting = True
    results.append(await rotation.run())
    endpoint.rejecting = False
    azure.failures["set_secret"] = 403
    results.append(await rotation.run())
    for result, action in zip(results, ["rotated", "verification_failed", "failed"], strict=True):
        assert action in result.report.actions
    written = caplog.text + everything_written(results)
    secrets = [*azure.issued, *(v.value for vs in azure.vault.values() for v in vs)]
    assert len(secrets) > 5
    assert "FAKE-KEY" not in written
    for secret in secrets:
        assert secret not in written


async def test_a_failed_write_raises_an_error_without_the_value(azure: FakeAzure) -> None:
    """The translated error and its whole printed traceback leave the value out."""
    azure.failures["set_secret"] = 403
    async with azure_key_stores(
        VAULT_URL, (RESOURCE_ID,), credential=FakeCredential(), transport=FakeTransport(azure)
    ) as stores:
        with pytest.raises(SecretStoreError) as caught:
            await stores.secrets.set(
                "azure-openai-api-key", "FAKE-KEY-in-flight-not-real", tags={}, expires_on=None
            )
    printed = "".join(traceback.format_exception(caught.value))
    assert str(caught.value) == "store secret azure-openai-api-key failed: HTTP 403 Forbidden"
    assert "FAKE-KEY" not in printed


def test_values_are_left_out_of_repr() -> None:
    """Printing a secret or the account keys shows everything but the values."""
    secret = Secret(SecretVersion("s", "v1", 0.0), "FAKE-KEY-secret-not-real")
    keys = AccountKeys("FAKE-KEY-1-not-real", "FAKE-KEY-2-not-real")
    assert "FAKE-KEY" not in repr(secret) + str(secret) + repr(keys) + str(keys)
