"""Where health check results are kept: the ``health`` table, the last N per provider.

Rows are partitioned by provider. A row key is the check time inverted (``MAX - microseconds``,
zero-padded), so a partition reads newest first and "the latest result" is the first row of a
one-row page. After each write the partition is trimmed to N rows; two writers trimming at
once can only delete a row twice, which is harmless.

:class:`ResilientHealthStore` is what the app uses: every result also goes to an in-memory
store, and when the table cannot be reached it reads from there and reports ``degraded``
until a table call succeeds again (tried at most once per ``retry_s``). Health results are a
report, not a decision: the breakers already have the outcomes, so losing a row never matters
more than a log line.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from shared.operations.health import DEFAULT_TABLE, CheckResult, HealthSettings, HealthStore
from shared.platform import Settings, ensure_table, table_client

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

_MAX_MICROS = 10**17 - 1  # beyond the year 5000: row keys keep a fixed width


def row_key(at: float) -> str:
    """Newest first: the inverted check time in microseconds, fixed width."""
    return f"{_MAX_MICROS - round(at * 1_000_000):017d}"


def to_entity(result: CheckResult) -> dict[str, Any]:
    """The result's JSON fields, keyed by provider and (newest first) check time."""
    fields = result.to_json()
    return {"PartitionKey": fields.pop("provider"), "RowKey": row_key(result.at), **fields}


def from_entity(entity: Any) -> CheckResult:
    return CheckResult.from_json({**entity, "provider": entity["PartitionKey"]})


class MemoryHealthStore:
    """This instance's own results (the fallback, and the store for unit tests)."""

    def __init__(self, history: int) -> None:
        self._history = history
        self._rows: dict[str, deque[CheckResult]] = {}
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return False

    def record(self, results: Sequence[CheckResult]) -> None:
        with self._lock:
            for result in results:
                rows = self._rows.setdefault(result.provider, deque(maxlen=self._history))
                rows.appendleft(result)

    def latest(self, providers: Iterable[str]) -> dict[str, CheckResult]:
        with self._lock:
            return {p: self._rows[p][0] for p in providers if self._rows.get(p)}

    def history(self, provider: str) -> list[CheckResult]:
        with self._lock:
            return list(self._rows.get(provider, ()))


class TableHealthStore:
    """The shared store, in Azure Table Storage (or Azurite). Raises on storage errors."""

    def __init__(self, table: Any, history: int) -> None:
        self._table = table
        self._history = history

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        history: int,
        *,
        table_name: str = DEFAULT_TABLE,
        timeout_s: float = 2.0,
    ) -> TableHealthStore:
        """The store on the app's storage account; creates the table if it is missing."""
        client = table_client(settings, table_name, timeout_s=timeout_s)
        ensure_table(client)
        return cls(client, history)

    @property
    def degraded(self) -> bool:
        return False

    def record(self, results: Sequence[CheckResult]) -> None:
        from azure.core.exceptions import ResourceExistsError  # noqa: PLC0415 - heavy, lazy

        for result in results:
            # The same provider checked in the same microsecond is already kept.
            with contextlib.suppress(ResourceExistsError):
                self._table.create_entity(to_entity(result))
        for provider in sorted({r.provider for r in results}):
            self._trim(provider)

    def latest(self, providers: Iterable[str]) -> dict[str, CheckResult]:
        found: dict[str, CheckResult] = {}
        for provider in providers:
            rows = self._table.query_entities(_partition(provider), results_per_page=1)
            first = next(iter(rows), None)
            if first is not None:
                found[provider] = from_entity(first)
        return found

    def history(self, provider: str) -> list[CheckResult]:
        rows = self._table.query_entities(_partition(provider))
        return [from_entity(r) for r in sorted(rows, key=lambda r: r["RowKey"])]

    def _trim(self, provider: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415 - lazy

        rows = self._table.query_entities(_partition(provider), select=["RowKey"])
        keys = sorted(str(r["RowKey"]) for r in rows)
        for key in keys[self._history :]:
            with contextlib.suppress(ResourceNotFoundError):  # another writer trimmed it first
                self._table.delete_entity(partition_key=provider, row_key=key)


def _partition(provider: str) -> str:
    return "PartitionKey eq '{}'".format(provider.replace("'", "''"))


class ResilientHealthStore:
    """The table store when it answers; this instance's memory when it does not."""

    def __init__(
        self,
        open_table: Callable[[], HealthStore],
        history: int,
        *,
        retry_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_table = open_table
        self._memory = MemoryHealthStore(history)
        self._table: HealthStore | None = None
        self._retry_s = retry_s
        self._clock = clock
        self._retry_at = 0.0
        self._degraded = False
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return self._degraded

    def record(self, results: Sequence[CheckResult]) -> None:
        self._memory.record(results)
        self._with_table("write", lambda table: table.record(results))

    def latest(self, providers: Iterable[str]) -> dict[str, CheckResult]:
        names = list(providers)
        found = self._with_table("read", lambda table: table.latest(names))
        return self._memory.latest(names) if found is None else found

    def history(self, provider: str) -> list[CheckResult]:
        found = self._with_table("read", lambda table: table.history(provider))
        return self._memory.history(provider) if found is None else found

    def _with_table(self, what: str, use: Callable[[HealthStore], Any]) -> Any:
        """``use(table)``, or None if the table is unreachable (or not retried yet)."""
        table = self._table_or_none()
        if table is None:
            return None
        try:
            result = use(table)
        except Exception as exc:  # noqa: BLE001 - storage trouble: fall back to memory
            self._fail(what, exc)
            return None
        self._degraded = False
        return result

    def _table_or_none(self) -> HealthStore | None:
        with self._lock:
            if self._degraded and self._clock() < self._retry_at:
                return None
            if self._table is None:
                try:
                    self._table = self._open_table()
                except Exception as exc:  # noqa: BLE001 - retried after retry_s
                    self._fail("open", exc, locked=True)
                    return None
            return self._table

    def _fail(self, what: str, exc: Exception, *, locked: bool = False) -> None:
        if not self._degraded:
            log.warning("health table %s failed (%s); using memory", what, type(exc).__name__)
        if locked:
            self._mark_degraded()
        else:
            with self._lock:
                self._mark_degraded()

    def _mark_degraded(self) -> None:
        self._degraded = True
        self._retry_at = self._clock() + self._retry_s


def health_store_for(settings: Settings) -> ResilientHealthStore:
    """The health results store on the app's storage account (no connection until first use)."""
    health = HealthSettings.from_settings(settings)
    return ResilientHealthStore(
        lambda: TableHealthStore.for_settings(
            settings, health.history, table_name=health.table_name
        ),
        health.history,
    )
