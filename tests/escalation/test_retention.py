"""Retention of the escalations table (H10): rows older than ESCALATION_RETENTION_DAYS are
deleted by the daily retention timer's purge; newer rows and claims stay."""

from __future__ import annotations

import uuid

import pytest

from shared.escalation.retention import (
    DEFAULT_RETENTION_DAYS,
    purge_escalation_rows,
    purge_escalations,
    retention_days,
)
from shared.escalation.store import TableEscalationStore
from shared.platform.settings import Settings

DAY_S = 86_400.0
NOW = 1_800_000_000.0
WINDOW_S = 900.0


@pytest.fixture
def settings(azurite_connection: str) -> Settings:
    """Settings for a fresh escalations table on Azurite."""
    return Settings.from_env(
        {
            "AzureWebJobsStorage": azurite_connection,
            "ESCALATION_TABLE_NAME": "t" + uuid.uuid4().hex[:20],
        }
    )


def _store_at(settings: Settings, at: float) -> TableEscalationStore:
    store = TableEscalationStore.for_settings(settings)
    return TableEscalationStore(store._table, clock_ns=lambda: int(at * 1e9))


@pytest.mark.integration
@pytest.mark.safety("H10")
def test_rows_older_than_the_retention_are_deleted_and_newer_ones_kept(settings: Settings) -> None:
    """An escalation's rows and a claim from 100 days ago go; yesterday's stay."""
    old = _store_at(settings, NOW - 100 * DAY_S)
    old.audit("esc-old", "started", {"category": "self_harm"})
    old.audit("esc-old", "acknowledged", {})
    assert old.claim("crisis:self_harm:ref-old", NOW - 100 * DAY_S, WINDOW_S)
    recent = _store_at(settings, NOW - DAY_S)
    recent.audit("esc-new", "started", {"category": "self_harm"})
    assert recent.claim("crisis:self_harm:ref-new", NOW - DAY_S, WINDOW_S)

    purge = purge_escalation_rows(recent._table, NOW, 90.0)

    assert purge.deleted == 3
    assert recent.history("esc-old") == []
    assert [row["event"] for row in recent.history("esc-new")] == ["started"]
    claims = recent._table.query_entities("PartitionKey eq 'dedup'")
    assert [row["RowKey"] for row in claims] == ["crisis:self_harm:ref-new"]


@pytest.mark.integration
def test_a_table_never_created_purges_nothing(settings: Settings) -> None:
    """Before the first escalation there is no table; the purge deletes nothing and succeeds."""
    assert purge_escalations(settings, NOW).deleted == 0


def test_the_retention_defaults_to_the_audit_period() -> None:
    """Unset, ESCALATION_RETENTION_DAYS is 90 days, the audit trail's retention."""
    assert retention_days(Settings.from_env({})) == DEFAULT_RETENTION_DAYS == 90.0


def test_a_retention_that_is_not_positive_is_refused() -> None:
    """A zero, negative or unreadable retention fails loudly, naming the setting."""
    with pytest.raises(ValueError, match="ESCALATION_RETENTION_DAYS"):
        retention_days(Settings.from_env({"ESCALATION_RETENTION_DAYS": "0"}))
