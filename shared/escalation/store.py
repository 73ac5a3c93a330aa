"""Where escalations are de-duplicated and audited: the ``escalations`` table.

De-duplication rows (PartitionKey ``dedup``) hold when a conversation was last escalated for a
category; claiming one is an optimistic write, so two instances cannot both escalate the same
conversation inside the window. Audit rows (PartitionKey = escalation id) record every
delivery attempt, acknowledgement, view, outcome and reminder. Audit rows never hold message
text. Each crisis escalation also has one case row in its partition (RowKey ``case``, see
:mod:`shared.escalation.casefile`), which holds the text of the last turns only when
``ESCALATION_SHOW_MESSAGES`` is on; it is left out of :meth:`EscalationStore.history`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from shared.escalation.casefile import CASE_ROW, CaseFile
from shared.platform import Settings, ensure_table, table_client

log = logging.getLogger(__name__)

DEDUP_PARTITION = "dedup"


class EscalationStore(Protocol):
    def claim(self, key: str, now: float, window_s: float) -> bool:
        """True when the caller should escalate ``key`` (no escalation inside the window)."""
        ...

    def claimed(self, key: str) -> bool:
        """Whether ``key`` has ever been claimed (whatever its window): a read, no write."""
        ...

    def audit(self, escalation_id: str, event: str, fields: dict[str, Any]) -> None:
        """Append one audit row. Raises on storage failure so the caller can retry."""
        ...

    def history(self, escalation_id: str) -> list[dict[str, Any]]:
        """The audit rows of one escalation, oldest first (never its case row)."""
        ...

    def save_case(self, case: CaseFile) -> None:
        """Write the case row of a new escalation. Raises on storage failure."""
        ...

    def case(self, escalation_id: str) -> CaseFile | None:
        """The case row of an escalation, or None when there is none."""
        ...


class MemoryEscalationStore:
    """The in-process store: used when no table is configured, and in unit tests."""

    def __init__(self) -> None:
        self._claims: dict[str, float] = {}
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self._cases: dict[str, CaseFile] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, now: float, window_s: float) -> bool:
        with self._lock:
            last = self._claims.get(key)
            if last is not None and now - last < window_s:
                return False
            self._claims[key] = now
            return True

    def claimed(self, key: str) -> bool:
        with self._lock:
            return key in self._claims

    def audit(self, escalation_id: str, event: str, fields: dict[str, Any]) -> None:
        with self._lock:
            self._rows.setdefault(escalation_id, []).append({"event": event, **fields})

    def history(self, escalation_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._rows.get(escalation_id, []))

    def save_case(self, case: CaseFile) -> None:
        with self._lock:
            self._cases[case.escalation_id] = case

    def case(self, escalation_id: str) -> CaseFile | None:
        with self._lock:
            return self._cases.get(escalation_id)


class TableEscalationStore:
    """The shared store, in Azure Table Storage (or Azurite)."""

    def __init__(self, table: Any, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._table = table
        self._clock_ns = clock_ns

    @classmethod
    def for_settings(cls, settings: Settings, timeout_s: float = 2.0) -> TableEscalationStore:
        """The store on the app's storage account; creates the table if it is missing."""
        client = table_client(settings, settings.escalation_table, timeout_s=timeout_s)
        ensure_table(client)
        return cls(client)

    def claim(self, key: str, now: float, window_s: float) -> bool:
        from azure.core import MatchConditions  # noqa: PLC0415
        from azure.core.exceptions import (  # noqa: PLC0415
            ResourceExistsError,
            ResourceModifiedError,
        )

        row_key = _safe_key(key)
        try:
            self._table.create_entity(
                {"PartitionKey": DEDUP_PARTITION, "RowKey": row_key, "since": now}
            )
        except ResourceExistsError:
            pass
        else:
            return True
        entity = self._table.get_entity(DEDUP_PARTITION, row_key)
        if now - float(entity["since"]) < window_s:
            return False
        entity["since"] = now
        try:
            self._table.update_entity(
                entity, etag=entity.metadata["etag"], match_condition=MatchConditions.IfNotModified
            )
        except ResourceModifiedError:
            return False  # another instance claimed it first
        return True

    def claimed(self, key: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415

        try:
            self._table.get_entity(DEDUP_PARTITION, _safe_key(key))
        except ResourceNotFoundError:
            return False
        return True

    def audit(self, escalation_id: str, event: str, fields: dict[str, Any]) -> None:
        row = {
            "PartitionKey": _safe_key(escalation_id),
            "RowKey": f"{self._clock_ns():020d}-{_safe_key(event)}",
            "event": event,
        }
        row.update({k: v for k, v in fields.items() if v is not None})
        self._table.create_entity(row)

    def history(self, escalation_id: str) -> list[dict[str, Any]]:
        key = _safe_key(escalation_id).replace("'", "''")
        rows = self._table.query_entities(f"PartitionKey eq '{key}' and RowKey ne '{CASE_ROW}'")
        return [dict(r) for r in sorted(rows, key=lambda r: r["RowKey"])]

    def save_case(self, case: CaseFile) -> None:
        # ``event`` too, so a reader of the whole partition sees what the row is.
        row = {"PartitionKey": _safe_key(case.escalation_id), "RowKey": CASE_ROW, "event": "case"}
        row.update({k: v for k, v in case.to_row().items() if v is not None})
        self._table.upsert_entity(row)

    def case(self, escalation_id: str) -> CaseFile | None:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415

        try:
            row = self._table.get_entity(_safe_key(escalation_id), CASE_ROW)
        except ResourceNotFoundError:
            return None
        return CaseFile.from_row(escalation_id, row)


class FallbackEscalationStore:
    """The table store, built on first use; the in-process store while the table cannot be
    reached. A failure to build the table store is retried on the next call, not cached."""

    def __init__(self, open_table: Callable[[], EscalationStore]) -> None:
        self._open_table = open_table
        self._table: EscalationStore | None = None
        self._fallback = MemoryEscalationStore()
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> FallbackEscalationStore:
        return cls(lambda: TableEscalationStore.for_settings(settings))

    def current(self) -> EscalationStore:
        """The table store if it can be opened now, else the in-process fallback."""
        with self._lock:
            if self._table is None:
                try:
                    self._table = self._open_table()
                except Exception:  # noqa: BLE001 - storage down: degrade, retry on next use
                    log.warning("escalation store unavailable; using in-process fallback")
                    return self._fallback
            return self._table

    def claim(self, key: str, now: float, window_s: float) -> bool:
        return self.current().claim(key, now, window_s)

    def claimed(self, key: str) -> bool:
        return self.current().claimed(key)

    def audit(self, escalation_id: str, event: str, fields: dict[str, Any]) -> None:
        self.current().audit(escalation_id, event, fields)

    def history(self, escalation_id: str) -> list[dict[str, Any]]:
        return self.current().history(escalation_id)

    def save_case(self, case: CaseFile) -> None:
        self.current().save_case(case)

    def case(self, escalation_id: str) -> CaseFile | None:
        return self.current().case(escalation_id)


def _safe_key(value: str) -> str:
    """Table keys may not contain / \\ # ? or control characters."""
    return "".join(c if c.isprintable() and c not in "/\\#?" else "_" for c in value)[:512]
