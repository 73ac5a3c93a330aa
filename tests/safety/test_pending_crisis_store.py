"""Owed crisis replies in the escalations table (Azurite): shared across instances, taken once."""

from __future__ import annotations

import uuid

import pytest

from shared.escalation.pending import TablePendingCrisis
from shared.platform import Settings, ensure_table, table_client

pytestmark = pytest.mark.integration


def store(connection: str, table: str) -> TablePendingCrisis:
    settings = Settings(storage_connection=connection)
    client = table_client(settings, table, timeout_s=5.0)
    ensure_table(client)
    return TablePendingCrisis(client)


def test_owed_reply_is_seen_by_another_instance(azurite_connection: str) -> None:
    """A reply owed through one store is taken through another on the same table."""
    table = "pending" + uuid.uuid4().hex[:12]
    store(azurite_connection, table).owe("ref-a", "self_harm")
    assert store(azurite_connection, table).take("ref-a") == "self_harm"


def test_owed_reply_is_taken_once(azurite_connection: str) -> None:
    """The second take finds nothing: only one reply is the owed crisis reply."""
    pending = store(azurite_connection, "pending" + uuid.uuid4().hex[:12])
    pending.owe("ref-b", "safeguarding")
    assert pending.take("ref-b") == "safeguarding"
    assert pending.take("ref-b") is None


def test_nothing_owed_is_none(azurite_connection: str) -> None:
    """A conversation owed nothing takes None."""
    pending = store(azurite_connection, "pending" + uuid.uuid4().hex[:12])
    assert pending.take("ref-c") is None
