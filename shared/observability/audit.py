"""The audit trail: the ``audit`` table, one row per chat request plus alerts and operator events.

Rows never hold message content or raw ids: a chat row is built from a
:class:`~shared.events.ChatRecord` (time, pseudonymous conversation reference, tier,
provider, every attempt with its outcome and time, crisis and category, escalated, degraded,
latency). Layout: ``PartitionKey`` is the UTC day (``YYYYMMDD``), ``RowKey`` is
``<kind>-<epoch ms, 13 digits>-<id>``, so a time window is a range read per day and the
retention purge removes whole days.

Writes never delay an answer: :meth:`AuditTrail.chat` only queues the row. One background
thread writes it, retrying with a doubling pause. When storage stays down the row is written
to the log instead, as one structured, content-free line (``audit record kept in the log``),
and counted: :attr:`AuditStats.kept_in_log` is the gap, shown on the status page. During an
outage the writer does not try storage again for ``outage_retry_s``, so a dead account costs
nothing per request. A full queue also sends rows to the log rather than block.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from shared.events import ChatRecord
from shared.models import Attempt, Outcome
from shared.platform import ConfigReader, Settings, ensure_table, table_client

log = logging.getLogger(__name__)

CHAT = "chat"
ALERT = "alert"
EVENT = "event"
KINDS = (CHAT, ALERT, EVENT)
_DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class AuditConfig:
    table: str = "audit"
    retention_days: int = 90
    queue_size: int = 10_000
    write_attempts: int = 3
    retry_delay_s: float = 0.5
    timeout_s: float = 2.0
    outage_retry_s: float = 30.0
    idle_exit_s: float = 60.0
    # How long the writer waits for more rows to share one transaction (one storage write for
    # up to 100 rows of a day). Audit rows may land a moment late; they are never on the path
    # of an answer.
    batch_linger_s: float = 0.25


def parse_audit_config(reader: ConfigReader) -> AuditConfig:
    base = AuditConfig()
    return AuditConfig(
        table=reader.text("table", base.table),
        retention_days=reader.integer("retention_days", base.retention_days, minimum=1),
        queue_size=reader.integer("queue_size", base.queue_size, minimum=1),
        write_attempts=reader.integer("write_attempts", base.write_attempts, minimum=1),
        retry_delay_s=reader.number("retry_delay_s", base.retry_delay_s),
        timeout_s=reader.number("timeout_s", base.timeout_s, minimum=0.1),
        outage_retry_s=reader.number("outage_retry_s", base.outage_retry_s),
        idle_exit_s=reader.number("idle_exit_s", base.idle_exit_s, minimum=0.1),
        batch_linger_s=reader.number("batch_linger_s", base.batch_linger_s),
    )


# --- rows ------------------------------------------------------------------------------------


def day_partition(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y%m%d")


def row_key(kind: str, at: float, suffix: str) -> str:
    return f"{kind}-{round(at * 1000):013d}-{_safe(suffix)}"


def _safe(value: str) -> str:
    """Table keys may not contain / \\ # ? or control characters."""
    return "".join(c if c.isprintable() and c not in "/\\#?" else "_" for c in value)[:200]


def chat_entity(record: ChatRecord, outcome: str) -> dict[str, Any]:
    """The audit row of one answered request (no content, no raw ids)."""
    at = record.at.timestamp()
    entity: dict[str, Any] = {
        "PartitionKey": day_partition(at),
        "RowKey": row_key(CHAT, at, record.request_id),
        "kind": CHAT,
        "at": record.at.astimezone(UTC),
        "request_id": record.request_id,
        "tier": record.tier,
        "provider": record.provider,
        "outcome": outcome,
        "attempts": json.dumps([a.to_json() for a in record.attempts]),
        "crisis": record.crisis,
        "escalated": record.escalated,
        "degraded": record.degraded,
        "simulated": record.simulated,
        "latency_ms": round(record.latency_ms, 1),
        "status": record.status,
    }
    if record.conversation_ref is not None:
        entity["conversation_ref"] = record.conversation_ref
    if record.crisis_category is not None:
        entity["crisis_category"] = record.crisis_category
    return entity


def event_entity(kind: str, name: str, at: float, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An alert or operator event row. ``fields`` must be content-free scalars."""
    entity: dict[str, Any] = {
        "PartitionKey": day_partition(at),
        "RowKey": row_key(kind, at, uuid.uuid4().hex),
        "kind": kind,
        "name": name,
        "at": datetime.fromtimestamp(at, UTC),
    }
    entity.update({k: v for k, v in fields.items() if v is not None and k not in _RESERVED})
    return entity


_RESERVED = frozenset({"PartitionKey", "RowKey", "Timestamp", "kind", "name", "at", "etag"})


def record_from_entity(entity: Mapping[str, Any]) -> ChatRecord:
    """A chat row read back (for the status page)."""
    return ChatRecord(
        at=_as_datetime(entity["at"]),
        request_id=str(entity.get("request_id", "")),
        conversation_ref=entity.get("conversation_ref"),
        tier=int(entity["tier"]),
        provider=str(entity["provider"]),
        attempts=tuple(
            Attempt(a["provider"], Outcome(a["outcome"]), float(a["ms"]))
            for a in json.loads(entity.get("attempts") or "[]")
        ),
        crisis=bool(entity.get("crisis", False)),
        crisis_category=entity.get("crisis_category"),
        escalated=bool(entity.get("escalated", False)),
        degraded=bool(entity.get("degraded", False)),
        simulated=bool(entity.get("simulated", False)),
        latency_ms=float(entity.get("latency_ms", 0.0)),
        status=int(entity.get("status", 200)),
    )


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """An alert or operator event row read back."""

    at: float
    kind: str
    name: str
    fields: Mapping[str, Any]


def event_from_entity(entity: Mapping[str, Any]) -> AuditEvent:
    fields = {k: v for k, v in entity.items() if k not in _RESERVED}
    return AuditEvent(
        at=_as_datetime(entity["at"]).timestamp(),
        kind=str(entity["kind"]),
        name=str(entity.get("name", "")),
        fields=fields,
    )


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def _millis(at: float) -> int:
    return round(at * 1000)


# --- stores ----------------------------------------------------------------------------------


class AuditStore(Protocol):
    """Where rows live. Every method raises on storage trouble; callers decide what to do."""

    def append(self, entity: Mapping[str, Any]) -> None:
        """Add one row; adding a row that is already there is not an error (a retry)."""
        ...

    def append_many(self, entities: Sequence[Mapping[str, Any]]) -> None:
        """Add up to 100 rows of one partition, at once where the store can."""
        ...

    def rows(self, partition: str, row_from: str, row_to: str) -> list[dict[str, Any]]:
        """The rows of one day with ``row_from <= RowKey < row_to``, in RowKey order."""
        ...

    def keys_before(self, partition: str) -> list[tuple[str, str]]:
        """The keys of every row in the days before ``partition``."""
        ...

    def delete(self, keys: Sequence[tuple[str, str]]) -> int:
        """Delete rows (missing ones are skipped); returns how many were deleted."""
        ...


class MemoryAuditStore:
    """The in-process store, for unit tests."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def append(self, entity: Mapping[str, Any]) -> None:
        with self._lock:
            self._rows.setdefault((entity["PartitionKey"], entity["RowKey"]), dict(entity))

    def append_many(self, entities: Sequence[Mapping[str, Any]]) -> None:
        for entity in entities:
            self.append(entity)

    def rows(self, partition: str, row_from: str, row_to: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(row)
                for (pk, rk), row in sorted(self._rows.items())
                if pk == partition and row_from <= rk < row_to
            ]

    def keys_before(self, partition: str) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(key for key in self._rows if key[0] < partition)

    def delete(self, keys: Sequence[tuple[str, str]]) -> int:
        with self._lock:
            return sum(self._rows.pop(key, None) is not None for key in keys)


_BATCH = 100  # the Table service's limit on one transaction


class TableAuditStore:
    """The ``audit`` table in the app's storage account (or Azurite)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    @classmethod
    def for_settings(cls, settings: Settings, config: AuditConfig) -> TableAuditStore:
        """Open the table (creating it if missing). Raises when storage is unreachable."""
        client = table_client(settings, config.table, timeout_s=config.timeout_s)
        ensure_table(client)
        return cls(client)

    def append(self, entity: Mapping[str, Any]) -> None:
        from azure.core.exceptions import ResourceExistsError  # noqa: PLC0415 - heavy, lazy

        # An earlier attempt may have been stored after all: the row is there, which is the aim.
        with contextlib.suppress(ResourceExistsError):
            self._table.create_entity(dict(entity))

    def append_many(self, entities: Sequence[Mapping[str, Any]]) -> None:
        from azure.data.tables import TableTransactionError  # noqa: PLC0415 - heavy, lazy

        if len(entities) == 1:
            self.append(entities[0])
            return
        try:
            self._table.submit_transaction([("create", dict(e)) for e in entities])
        except TableTransactionError:
            # One row already there (an earlier attempt was stored after all) fails the whole
            # transaction: fall back to rows one by one, which tolerate that.
            for entity in entities:
                self.append(entity)

    def rows(self, partition: str, row_from: str, row_to: str) -> list[dict[str, Any]]:
        found = self._table.query_entities(
            "PartitionKey eq @pk and RowKey ge @start and RowKey lt @end",
            parameters={"pk": partition, "start": row_from, "end": row_to},
            results_per_page=1000,
        )
        return sorted((dict(row) for row in found), key=lambda row: str(row["RowKey"]))

    def keys_before(self, partition: str) -> list[tuple[str, str]]:
        found = self._table.query_entities(
            "PartitionKey lt @pk",
            parameters={"pk": partition},
            select=["PartitionKey", "RowKey"],
            results_per_page=1000,
        )
        return sorted((str(row["PartitionKey"]), str(row["RowKey"])) for row in found)

    def delete(self, keys: Sequence[tuple[str, str]]) -> int:
        from azure.data.tables import TableTransactionError  # noqa: PLC0415 - heavy, lazy

        deleted = 0
        by_partition: dict[str, list[str]] = {}
        for partition, row in keys:
            by_partition.setdefault(partition, []).append(row)
        for partition, rows in sorted(by_partition.items()):
            for start in range(0, len(rows), _BATCH):
                chunk = rows[start : start + _BATCH]
                operations = [("delete", {"PartitionKey": partition, "RowKey": r}) for r in chunk]
                try:
                    self._table.submit_transaction(operations)
                    deleted += len(chunk)
                except TableTransactionError:
                    # One missing row fails the whole batch: delete one by one instead.
                    deleted += sum(self._delete_one(partition, r) for r in chunk)
        return deleted

    def _delete_one(self, partition: str, row: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415 - lazy

        try:
            self._table.delete_entity(partition_key=partition, row_key=row)
        except ResourceNotFoundError:
            return False
        return True


# --- the writer ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditStats:
    """This instance's writer, for the status page."""

    written: int
    retried: int
    kept_in_log: int
    pending: int
    storage_ok: bool
    last_error: str


def keep_in_log(entity: Mapping[str, Any], reason: str) -> None:
    """The fallback: one structured, content-free line that carries the whole row."""
    log.warning(
        "audit record kept in the log; reason=%s; record=%s",
        reason,
        json.dumps(entity, default=str, sort_keys=True),
    )


class AuditWriter:
    """Writes rows on one background thread (started on demand, gone when idle)."""

    def __init__(
        self,
        open_store: Callable[[], AuditStore],
        config: AuditConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        fallback: Callable[[Mapping[str, Any], str], None] = keep_in_log,
    ) -> None:
        self._open_store = open_store
        self._config = config
        self._sleep = sleep
        self._monotonic = monotonic
        self._fallback = fallback
        self._store: AuditStore | None = None
        self._queue: deque[Mapping[str, Any]] = deque()
        self._busy = False
        self._current: list[Mapping[str, Any]] = []
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition()
        self._outage_until: float | None = None
        self._written = 0
        self._retried = 0
        self._kept_in_log = 0
        self._last_error = ""

    def submit(self, entity: Mapping[str, Any]) -> None:
        """Queue one row; never blocks and never raises."""
        with self._changed:
            if len(self._queue) >= self._config.queue_size:
                self._kept_in_log += 1
                full = True
            else:
                self._queue.append(entity)
                full = False
                self._ensure_thread()
                self._changed.notify_all()
        if full:
            self._fallback(entity, "queue full")

    def write_now(self, entity: Mapping[str, Any]) -> bool:
        """Write one row on the caller's thread, with the same retries and fallback."""
        return self._write([entity])

    def drain(self, timeout_s: float) -> bool:
        """Wait until every queued row is written or logged (tests, shutdown)."""
        deadline = self._monotonic() + timeout_s
        with self._changed:
            while self._queue or self._busy:
                remaining = deadline - self._monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def close(self, timeout_s: float) -> list[Mapping[str, Any]]:
        """For a stopping process: wait up to ``timeout_s`` for the queue to be written, then
        take back every row not known to be stored (queued, or in a batch still being written:
        a row stored twice is one row, as the outbox writes with the same keys)."""
        self.drain(timeout_s)
        with self._changed:
            left = [*self._current, *self._queue]
            self._queue.clear()
            self._current = []
            return left

    @property
    def stats(self) -> AuditStats:
        with self._changed:
            return AuditStats(
                written=self._written,
                retried=self._retried,
                kept_in_log=self._kept_in_log,
                pending=len(self._queue) + self._busy,
                storage_ok=self._outage_until is None,
                last_error=self._last_error,
            )

    def store(self) -> AuditStore:
        """The opened store (for reads). Raises when storage is unreachable."""
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._queue:
                    self._changed.wait(self._config.idle_exit_s)
                if not self._queue:
                    self._thread = None  # idle: the next submit starts a new thread
                    self._changed.notify_all()
                    return
                self._busy = True  # before lingering, so drain() waits for this batch too
                batch = self._take_batch()
            try:
                self._write(batch)
            finally:
                with self._changed:
                    self._busy = False
                    if self._current is batch:
                        self._current = []
                    self._changed.notify_all()

    def _take_batch(self) -> list[Mapping[str, Any]]:
        """With the lock held: the first queued row, plus up to 99 more of the same day that
        are queued now or arrive within one linger (other days' rows stay queued, in order)."""
        batch = [self._queue.popleft()]
        self._current = batch  # taken from the queue, not yet stored: close() must see it
        self._gather(batch)
        # Real time, not the injected clock: this only paces the writer thread's own waiting.
        deadline = time.monotonic() + self._config.batch_linger_s
        while len(batch) < _BATCH:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._changed.wait(remaining)
            self._gather(batch)
        return batch

    def _gather(self, batch: list[Mapping[str, Any]]) -> None:
        partition = batch[0].get("PartitionKey")
        same = [e for e in self._queue if e.get("PartitionKey") == partition]
        for entity in same[: _BATCH - len(batch)]:
            self._queue.remove(entity)
            batch.append(entity)

    def _write(self, entities: Sequence[Mapping[str, Any]]) -> bool:
        if self._in_outage():
            for entity in entities:
                self._keep(entity, "storage unavailable")
            return False
        attempts = self._config.write_attempts
        error = ""
        for attempt in range(attempts):
            try:
                self.store().append_many(entities)
            except Exception as exc:  # noqa: BLE001 - any storage failure is retried, then logged
                error = type(exc).__name__
                if attempt + 1 < attempts:
                    with self._changed:
                        self._retried += 1
                    self._sleep(self._config.retry_delay_s * 2**attempt)
                continue
            with self._changed:
                self._written += len(entities)
                self._outage_until = None
            return True
        with self._changed:
            self._outage_until = self._monotonic() + self._config.outage_retry_s
            self._last_error = error
        for entity in entities:
            self._keep(entity, f"storage unavailable: {error}")
        return False

    def _in_outage(self) -> bool:
        with self._changed:
            return self._outage_until is not None and self._monotonic() < self._outage_until

    def _keep(self, entity: Mapping[str, Any], reason: str) -> None:
        with self._changed:
            self._kept_in_log += 1
        self._fallback(entity, reason)


# --- the trail -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff: float
    deleted: int


def _days(since: float, until: float) -> list[str]:
    """The day partitions that a window touches, newest first."""
    days = []
    day = datetime.fromtimestamp(until, UTC).date()
    first = datetime.fromtimestamp(since, UTC).date()
    while day >= first:
        days.append(day.strftime("%Y%m%d"))
        day -= timedelta(days=1)
    return days


class AuditTrail:
    """Queues audit rows and reads them back."""

    def __init__(
        self, writer: AuditWriter, config: AuditConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self._writer = writer
        self._config = config
        self._clock = clock

    @property
    def config(self) -> AuditConfig:
        return self._config

    @property
    def stats(self) -> AuditStats:
        return self._writer.stats

    def drain(self, timeout_s: float) -> bool:
        return self._writer.drain(timeout_s)

    def close(self, timeout_s: float) -> list[Mapping[str, Any]]:
        """Drain for at most ``timeout_s``; the rows not known to be stored (see the writer)."""
        return self._writer.close(timeout_s)

    def store(self) -> AuditStore:
        """The opened store. Raises when storage is unreachable."""
        return self._writer.store()

    def chat(self, record: ChatRecord, outcome: str) -> None:
        self._writer.submit(chat_entity(record, outcome))

    def event(self, name: str, fields: Mapping[str, Any], *, kind: str = EVENT) -> None:
        """Queue an operator or system event (escalation, key rotation, purge, alert)."""
        self._writer.submit(event_entity(kind, name, self._clock(), fields))

    def records(self, since: float, until: float, limit: int) -> list[ChatRecord]:
        """The newest ``limit`` chat rows in ``[since, until]``, oldest first. Raises."""
        rows = self._read(CHAT, since, until, limit)
        return [record_from_entity(row) for row in rows]

    def events(self, kind: str, since: float, until: float, limit: int) -> list[AuditEvent]:
        """The newest ``limit`` rows of ``kind`` in ``[since, until]``, oldest first. Raises."""
        return [event_from_entity(row) for row in self._read(kind, since, until, limit)]

    def _read(self, kind: str, since: float, until: float, limit: int) -> list[dict[str, Any]]:
        store = self.store()
        start = f"{kind}-{_millis(since):013d}"
        end = f"{kind}-{_millis(until) + 1:013d}"
        newest_first: list[list[dict[str, Any]]] = []
        count = 0
        for day in _days(since, until):
            rows = store.rows(day, start, end)
            newest_first.append(rows)
            count += len(rows)
            if count >= limit:
                break
        ordered = [row for rows in reversed(newest_first) for row in rows]
        return ordered[-limit:] if limit else []

    def purge(self) -> PurgeResult:
        """Delete rows older than the retention period, and audit the purge. Raises."""
        now = self._clock()
        cutoff = now - self._config.retention_days * _DAY_S
        store = self.store()
        day = day_partition(cutoff)
        keys = store.keys_before(day)
        for kind in KINDS:
            keys += [
                (str(r["PartitionKey"]), str(r["RowKey"]))
                for r in store.rows(day, f"{kind}-", f"{kind}-{_millis(cutoff):013d}")
            ]
        deleted = store.delete(keys)
        self._writer.write_now(
            event_entity(
                EVENT,
                "retention_purge",
                now,
                {
                    "deleted": deleted,
                    "retention_days": self._config.retention_days,
                    "cutoff": datetime.fromtimestamp(cutoff, UTC),
                },
            )
        )
        return PurgeResult(cutoff=cutoff, deleted=deleted)


def trail_for_settings(
    settings: Settings, config: AuditConfig, clock: Callable[[], float] = time.time
) -> AuditTrail:
    """The trail on the app's storage account; nothing is opened until the first row."""
    writer = AuditWriter(lambda: TableAuditStore.for_settings(settings, config), config)
    return AuditTrail(writer, config, clock)
