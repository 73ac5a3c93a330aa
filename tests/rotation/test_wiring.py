"""The timer's entry point: settings, the audit table, and alerts through the escalation."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import BinaryBase64DecodePolicy, QueueClient

from shared.bootstrap import build_runtime
from shared.escalation import Alert
from shared.operations.keyvault import KeyStores, azure_key_stores
from shared.operations.rotation import (
    AUDIT_PARTITION,
    AuditEntry,
    MemoryRotationAudit,
    RotationSettings,
    TableRotationAudit,
    run_secret_rotation,
)
from shared.platform import ALERT_QUEUE
from shared.platform.settings import Settings
from shared.runtime import Runtime

from .conftest import AZURE_SECRET, FakeClock
from .fakes import RESOURCE_ID, VAULT_URL, FakeAzure, FakeCredential, FakeTransport

pytestmark = pytest.mark.integration


class RecordingStarter:
    """The orchestration port, recording what the escalator starts."""

    def __init__(self) -> None:
        self.started: list[tuple[str, dict[str, Any]]] = []

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        self.started.append((name, payload))
        return instance_id or "instance"

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        return "running", None

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        return None


def runtime_for(azurite: str, **extra: str) -> Runtime:
    return build_runtime(
        {"AzureWebJobsStorage": azurite, "PSEUDONYM_KEY": "test-pseudonym-key", **extra},
        warm=False,
    )


async def test_disabled_rotation_opens_no_client(azurite_connection: str) -> None:
    """Without SECRET_ROTATION_ENABLED the job audits that it is off and touches nothing."""
    opened: list[RotationSettings] = []

    def opener(settings: RotationSettings) -> contextlib.AbstractAsyncContextManager[KeyStores]:
        opened.append(settings)
        raise AssertionError("no client may be opened")

    audit = MemoryRotationAudit()
    runtime = runtime_for(azurite_connection, KEY_VAULT_URI=VAULT_URL)
    report = await run_secret_rotation(
        runtime.settings,
        runtime.config.failover.tiers,
        runtime.alerts,
        open_stores=opener,
        audit=audit,
    )
    assert report.actions == ["disabled"]
    assert [e.action for e in audit.entries] == ["disabled"]
    assert opened == []


async def test_alerts_go_to_operations_through_the_escalation(azurite_connection: str) -> None:
    """An enabled run alerts through the durable escalation, to the operations audience."""
    clock = FakeClock()
    azure = FakeAzure(clock)
    secret = "azure-openai-" + uuid.uuid4().hex[:8]  # a fresh de-duplication key per test
    azure.put_secret(secret, "FAKE-KEY-unknown-not-real", age_days=100)
    azure.put_secret("openai-api-key", "FAKE-KEY-openai-not-real", age_days=1)
    azure.put_secret("anthropic-api-key", "FAKE-KEY-anthropic-not-real", age_days=1)

    @contextlib.asynccontextmanager
    async def opener(settings: RotationSettings) -> AsyncIterator[KeyStores]:
        async with azure_key_stores(
            settings.key_vault_uri,
            settings.resource_ids,
            credential=FakeCredential(),
            transport=FakeTransport(azure),
        ) as stores:
            yield stores

    starter = RecordingStarter()
    runtime = runtime_for(
        azurite_connection,
        SECRET_ROTATION_ENABLED="true",
        KEY_VAULT_URI=VAULT_URL,
        AZURE_OPENAI_RESOURCE_ID=RESOURCE_ID,
        AZURE_OPENAI_KEY_SECRET_NAME=secret,
    )
    alerts = QueueClient.from_connection_string(
        azurite_connection, ALERT_QUEUE, message_decode_policy=BinaryBase64DecodePolicy()
    )
    with contextlib.suppress(ResourceNotFoundError):
        alerts.clear_messages()
    report = await run_secret_rotation(
        runtime.settings,
        runtime.config.failover.tiers,
        runtime.alerts,
        open_stores=opener,
        audit=MemoryRotationAudit(),
        clock=clock,
    )
    assert report.actions[0] == "active_key_unknown"
    # The alert left through the ops-alerts storage queue; deliver it as its trigger does.
    assert runtime.alerts.settled(10.0)
    with alerts:
        [message] = alerts.receive_messages()
    await runtime.alerts.deliver(
        Alert.from_json(json.loads(message.content)), runtime.escalator.alert_sink(starter)
    )
    [(name, payload)] = starter.started
    assert name == "escalation_orchestrator"
    assert payload["escalation"]["audience"] == "operations"
    assert payload["escalation"]["title"].startswith("[critical] Azure OpenAI key")
    assert azure.writes() == []


async def test_a_malformed_resource_id_is_audited_not_raised(azurite_connection: str) -> None:
    """A bad AZURE_OPENAI_RESOURCE_ID stops the run with an audit row naming the setting."""
    audit = MemoryRotationAudit()
    runtime = runtime_for(
        azurite_connection,
        SECRET_ROTATION_ENABLED="true",
        KEY_VAULT_URI=VAULT_URL,
        AZURE_OPENAI_RESOURCE_ID="not-a-resource-id",
        AZURE_OPENAI_KEY_SECRET_NAME=AZURE_SECRET,
    )
    report = await run_secret_rotation(
        runtime.settings, runtime.config.failover.tiers, runtime.alerts, audit=audit
    )
    assert report.actions == ["failed"]
    assert "AZURE_OPENAI_RESOURCE_ID" in str(audit.entries[0].fields["error"])


def test_audit_rows_land_in_the_rotation_partition(azurite_connection: str) -> None:
    """Each entry is a row in partition ``rotation`` of the audit table, in time order."""
    settings = Settings.from_env({"AzureWebJobsStorage": azurite_connection})
    audit = TableRotationAudit.for_settings(settings)
    marker = uuid.uuid4().hex
    audit.write(AuditEntry("dry_run", marker, {"active": "Key1"}))
    audit.write(AuditEntry("not_due", marker, {"age_days": 3.5}))
    rows = list(
        audit._table.query_entities(f"PartitionKey eq '{AUDIT_PARTITION}' and target eq '{marker}'")
    )
    assert [(r["action"], r["target"]) for r in sorted(rows, key=lambda r: r["RowKey"])] == [
        ("dry_run", marker),
        ("not_due", marker),
    ]
    assert rows[0]["active"] == "Key1"
