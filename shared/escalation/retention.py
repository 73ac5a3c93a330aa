"""Retention of the ``escalations`` table: rows older than the retention period are deleted.

The table holds one audit row per escalation event (PartitionKey = escalation id, RowKey =
``<nanoseconds, 20 digits>-<event>``) and the de-duplication claims (PartitionKey ``dedup``,
``since`` in epoch seconds). No row holds message text, but each holds a pseudonymous reference,
a crisis category and times, which is personal data about a disclosure; so the rows are kept
for ``ESCALATION_RETENTION_DAYS`` (default 90, the audit trail's period) and then deleted by
the daily retention timer (``orchestrators/retention.py``), which audits each purge.

The in-process fallback store (used only while the table cannot be reached) loses its rows
with the process and needs no purge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.escalation.store import DEDUP_PARTITION
from shared.platform import Settings, table_client

DEFAULT_RETENTION_DAYS = 90.0
_DAY_S = 86_400.0
_BATCH = 100  # Table Storage transactions hold at most 100 operations of one partition


@dataclass(frozen=True, slots=True)
class EscalationPurge:
    """What a purge did: the cutoff (epoch seconds) and the rows it deleted."""

    cutoff: float
    deleted: int


def retention_days(settings: Settings) -> float:
    """``ESCALATION_RETENTION_DAYS``, a positive number of days (default 90)."""
    raw = settings.get("ESCALATION_RETENTION_DAYS")
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = float(raw)
    except ValueError:
        days = 0.0
    if days <= 0:
        msg = f"app setting ESCALATION_RETENTION_DAYS must be a positive number, got {raw!r}"
        raise ValueError(msg)
    return days


def purge_escalation_rows(table: Any, now: float, days: float) -> EscalationPurge:
    """Delete the audit rows and claims of ``table`` older than ``days`` before ``now``."""
    cutoff = now - days * _DAY_S
    cutoff_key = f"{int(cutoff * 1_000_000_000):020d}"
    old_events = table.query_entities(
        f"PartitionKey ne '{DEDUP_PARTITION}' and RowKey lt '{cutoff_key}'",
        select=["PartitionKey", "RowKey"],
    )
    old_claims = table.query_entities(
        f"PartitionKey eq '{DEDUP_PARTITION}' and since lt {cutoff!r}",
        select=["PartitionKey", "RowKey"],
    )
    deleted = _delete(table, [*old_events, *old_claims])
    return EscalationPurge(cutoff=cutoff, deleted=deleted)


def _delete(table: Any, rows: Iterable[Mapping[str, Any]]) -> int:
    by_partition: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_partition[str(row["PartitionKey"])].append(str(row["RowKey"]))
    deleted = 0
    for partition, keys in by_partition.items():
        for start in range(0, len(keys), _BATCH):
            chunk = keys[start : start + _BATCH]
            table.submit_transaction(
                [("delete", {"PartitionKey": partition, "RowKey": key}) for key in chunk]
            )
            deleted += len(chunk)
    return deleted


def purge_escalations(settings: Settings, now: float) -> EscalationPurge:
    """Purge the app's ``escalations`` table at the configured retention."""
    from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415 - heavy, lazy

    days = retention_days(settings)
    table = table_client(settings, settings.escalation_table, timeout_s=10.0)
    try:
        return purge_escalation_rows(table, now, days)
    except ResourceNotFoundError:  # no escalation yet: the table was never created
        return EscalationPurge(cutoff=now - days * _DAY_S, deleted=0)
