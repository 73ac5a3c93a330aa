"""Crisis replies owed to a conversation: the memory behind a *late* classifier flag.

When the content-safety check flags a message after its answer has gone out, the escalation
starts at once, and the *next* reply in that conversation must be the crisis reply. That next
request may reach any instance (Flex Consumption scales HTTP triggers out), so the memory is a
row in the ``escalations`` table (PartitionKey ``pending-crisis``, RowKey the conversation's
pseudonymous reference, the category), not process memory. Only while the table cannot be
reached does an instance fall back to its own memory (named in the README's per-instance
choices). Rows hold no message text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from shared.platform import Settings, ensure_table, table_client

log = logging.getLogger(__name__)

PENDING_PARTITION = "pending-crisis"


class PendingCrisisStore(Protocol):
    def owe(self, conversation_ref: str, category: str) -> None:
        """Remember that ``conversation_ref``'s next reply is the crisis reply for ``category``."""
        ...

    def take(self, conversation_ref: str) -> str | None:
        """The owed category, forgotten as it is returned; None when nothing is owed."""
        ...


class MemoryPendingCrisis:
    """This process's memory: the fallback, and unit tests."""

    def __init__(self, clock: Callable[[], float] = time.time, ttl_s: float = 86_400.0) -> None:
        self._owed: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._ttl_s = ttl_s

    def owe(self, conversation_ref: str, category: str) -> None:
        with self._lock:
            self._owed[conversation_ref] = (category, self._clock())

    def take(self, conversation_ref: str) -> str | None:
        with self._lock:
            owed = self._owed.pop(conversation_ref, None)
        if owed is None or self._clock() - owed[1] > self._ttl_s:
            return None
        return owed[0]


class TablePendingCrisis:
    """The shared memory, in the escalations table. ``take`` deletes the row it read with its
    ETag, so two instances answering the same conversation cannot both consume it."""

    def __init__(
        self, table: Any, clock: Callable[[], float] = time.time, ttl_s: float = 86_400.0
    ) -> None:
        self._table = table
        self._clock = clock
        self._ttl_s = ttl_s

    def owe(self, conversation_ref: str, category: str) -> None:
        from azure.data.tables import UpdateMode  # noqa: PLC0415

        self._table.upsert_entity(
            {
                "PartitionKey": PENDING_PARTITION,
                "RowKey": conversation_ref,
                "category": category,
                "since": self._clock(),
            },
            mode=UpdateMode.REPLACE,
        )

    def take(self, conversation_ref: str) -> str | None:
        from azure.core import MatchConditions  # noqa: PLC0415
        from azure.core.exceptions import (  # noqa: PLC0415
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        try:
            row = self._table.get_entity(PENDING_PARTITION, conversation_ref)
        except ResourceNotFoundError:
            return None
        try:
            self._table.delete_entity(
                PENDING_PARTITION,
                conversation_ref,
                etag=row.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return None  # another instance took it (and gives the crisis reply)
        if self._clock() - float(row.get("since", 0.0)) > self._ttl_s:
            return None
        return str(row["category"])


class FallbackPendingCrisis:
    """The table, opened on first use; this process's memory while the table is unreachable."""

    def __init__(self, open_table: Callable[[], PendingCrisisStore]) -> None:
        self._open_table = open_table
        self._table: PendingCrisisStore | None = None
        self._fallback = MemoryPendingCrisis()
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> FallbackPendingCrisis:
        def open_table() -> PendingCrisisStore:
            client = table_client(settings, settings.escalation_table, timeout_s=2.0)
            ensure_table(client)
            return TablePendingCrisis(client)

        return cls(open_table)

    def _current(self) -> PendingCrisisStore:
        with self._lock:
            if self._table is None:
                try:
                    self._table = self._open_table()
                except Exception:  # noqa: BLE001 - storage down: degrade, retry on next use
                    log.warning("pending-crisis store unavailable; using in-process memory")
                    return self._fallback
            return self._table

    def owe(self, conversation_ref: str, category: str) -> None:
        try:
            self._current().owe(conversation_ref, category)
        except Exception:  # noqa: BLE001 - a lost row must not lose the memory on this instance
            log.warning("pending crisis not stored; kept in this instance's memory")
            self._fallback.owe(conversation_ref, category)

    def take(self, conversation_ref: str) -> str | None:
        local = self._fallback.take(conversation_ref)
        try:
            stored = self._current().take(conversation_ref)
        except Exception:  # noqa: BLE001 - unreadable: what this instance remembers
            log.warning("pending-crisis store unreadable; using in-process memory")
            return local
        return stored or local
