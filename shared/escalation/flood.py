"""Flood control for crisis escalations: past a limit a minute, fold the rest into a digest.

Crisis messages skip every rate limit by design, so one source (a script, a person pasting the
same words again and again through a bot that sends no conversation id) could otherwise raise
an escalation per message and bury the one the nurses must see. Every crisis escalation that
passes de-duplication is counted, per minute, twice: against its *source* (the pseudonymous
reference of the bot's ``user``, else of the conversation, else ``unidentified``) and against
*all* sources. Past ``per_source_per_minute`` or ``total_per_minute`` (``flood`` in
``config/escalation-config.json``) the escalation is **folded**:

- the first fold of a minute starts one digest escalation for the nurses (a crisis card that
  awaits acknowledgement, as any other), and raises an operations alert about the spike;
- every fold is recorded under that digest's id in the escalations table (reference,
  category and signal names, never text), and counted for the status page.

Nothing is dropped: a folded crisis is in the digest's record and in the count, and the
person's crisis reply is never withheld or delayed (the reply does not wait for any of this).

The counters are rows in the shared ``escalations`` table (PartitionKey ``flood``, one row per
counter and minute), incremented with ETags, so every instance counts the same minute. When
the table cannot be read the count is unknown and the escalation is sent: flood control fails
open, never closed.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shared.platform import ConfigReader, Settings, ensure_table, table_client

log = logging.getLogger(__name__)

FLOOD_PARTITION = "flood"
UNIDENTIFIED = "unidentified"
_INCREMENT_ATTEMPTS = 32


@dataclass(frozen=True, slots=True)
class FloodConfig:
    """Limits a minute; past either, escalations are folded into the minute's digest."""

    per_source_per_minute: int = 3
    total_per_minute: int = 30


def parse_flood_config(reader: ConfigReader) -> FloodConfig:
    return FloodConfig(
        per_source_per_minute=reader.integer("per_source_per_minute", 3, minimum=1),
        total_per_minute=reader.integer("total_per_minute", 30, minimum=1),
    )


class FloodCounters(Protocol):
    def increment(self, name: str) -> int:
        """Add one to counter ``name`` and return its new value. Raises on storage failure."""
        ...

    def sum_from(self, prefix: str, first: str, last: str) -> int:
        """The sum of the counters named ``prefix + x`` for ``first <= x <= last``."""
        ...


class MemoryFloodCounters:
    """One process's counters: unit tests only (the app counts in the table)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def increment(self, name: str) -> int:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1
            return self._counts[name]

    def sum_from(self, prefix: str, first: str, last: str) -> int:
        with self._lock:
            return sum(
                n
                for key, n in self._counts.items()
                if key.startswith(prefix) and first <= key[len(prefix) :] <= last
            )


class TableFloodCounters:
    """Counters in the ``escalations`` table, incremented with ETags (no lost update)."""

    def __init__(self, open_table: Callable[[], Any]) -> None:
        self._open_table = open_table
        self._table: Any = None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> TableFloodCounters:
        def open_table() -> Any:
            client = table_client(settings, settings.escalation_table, timeout_s=2.0)
            ensure_table(client)
            return client

        return cls(open_table)

    def _client(self) -> Any:
        with self._lock:
            if self._table is None:
                self._table = self._open_table()
            return self._table

    def increment(self, name: str) -> int:
        from azure.core import MatchConditions  # noqa: PLC0415
        from azure.core.exceptions import (  # noqa: PLC0415
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        table = self._client()
        for attempt in range(_INCREMENT_ATTEMPTS):
            if attempt:
                # Instances racing on one counter: wait a random moment, growing with the
                # tries, so they stop colliding (jitter, not security: S311 does not apply).
                time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311
            try:
                entity = table.get_entity(FLOOD_PARTITION, name)
            except ResourceNotFoundError:
                try:
                    table.create_entity({"PartitionKey": FLOOD_PARTITION, "RowKey": name, "n": 1})
                except ResourceExistsError:
                    continue  # another instance created it first: read it again
                return 1
            entity["n"] = int(entity["n"]) + 1
            try:
                table.update_entity(
                    entity,
                    etag=entity.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            except ResourceModifiedError:
                continue  # another instance counted first: read it again
            return int(entity["n"])
        raise RuntimeError(f"flood counter still contended after {_INCREMENT_ATTEMPTS} tries")

    def sum_from(self, prefix: str, first: str, last: str) -> int:
        table = self._client()
        low, high = f"{prefix}{first}", f"{prefix}{last}"
        rows = table.query_entities(
            "PartitionKey eq @p and RowKey ge @low and RowKey le @high",
            parameters={"p": FLOOD_PARTITION, "low": low, "high": high},
            select=["n"],
        )
        return sum(int(row["n"]) for row in rows)


@dataclass(frozen=True, slots=True)
class Admission:
    """What to do with one crisis escalation."""

    folded: bool
    minute: int
    # Why it was folded: "source" or "total" (empty when it was not).
    reason: str = ""


def minute_of(now: float) -> int:
    return int(now // 60)


def _minute_key(minute: int) -> str:
    return f"{minute:010d}"


def digest_id(minute: int) -> str:
    """The digest escalation of a minute: the same id on every instance."""
    return "esc-" + hashlib.sha256(f"flood-digest:{minute}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class FloodControl:
    """Counts crisis escalations per minute and says which to fold."""

    config: FloodConfig
    counters: FloodCounters

    def admit(self, source: str | None, now: float) -> Admission:
        """Count one escalation from ``source`` (a pseudonymous reference, or None) and say
        whether to fold it. Storage trouble admits it: an unknown count never folds."""
        minute = minute_of(now)
        key = _minute_key(minute)
        try:
            from_source = self.counters.increment(f"src:{key}:{source or UNIDENTIFIED}")
            in_all = self.counters.increment(f"all:{key}")
        except Exception:  # noqa: BLE001 - storage trouble must never suppress an escalation
            log.warning("escalation flood counters unavailable; escalating anyway")
            return Admission(folded=False, minute=minute)
        if from_source > self.config.per_source_per_minute:
            return Admission(folded=True, minute=minute, reason="source")
        if in_all > self.config.total_per_minute:
            return Admission(folded=True, minute=minute, reason="total")
        return Admission(folded=False, minute=minute)

    def record_fold(self, minute: int) -> None:
        """Count a folded escalation for the status page (best effort: it is also audited)."""
        try:
            self.counters.increment(f"folded:{_minute_key(minute)}")
        except Exception:  # noqa: BLE001 - the fold's audit row still records it
            log.warning("folded-escalation counter unavailable")

    def folded_between(self, start: float, end: float) -> int | None:
        """How many escalations were folded in ``[start, end]``, every instance; None when the
        counters cannot be read."""
        try:
            return self.counters.sum_from(
                "folded:", _minute_key(minute_of(start)), _minute_key(minute_of(end))
            )
        except Exception:  # noqa: BLE001 - the status page says "unknown", never fails
            log.warning("folded-escalation counter unreadable")
            return None
