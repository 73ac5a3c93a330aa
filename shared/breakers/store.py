"""Where breaker state lives: the :class:`BreakerStore` port, an in-memory and a table store.

A store keeps one :class:`~shared.breakers.rule.Breaker` per provider, each with an opaque ETag.
Writes are optimistic: ``write(provider, state, etag)`` succeeds only if the stored ETag is still
``etag`` (or, with ``etag=None``, if nothing is stored yet), which is what lets several
instances share one breaker without losing updates or granting two probes.

Errors, translated at this boundary so callers never see SDK exceptions::

    BreakerStoreError
    ├── WriteConflictError      someone else wrote first (412) or created it first (409): re-read
    └── StoreUnavailableError   the store cannot be reached or answered badly: fall back locally

Both stores count the requests they make (``reads``, ``writes``) so benchmarks can report
table traffic per chat request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from shared.breakers.rule import Breaker, BreakerState, Bucket, Reason

if TYPE_CHECKING:
    from azure.data.tables import TableClient

DEFAULT_TABLE = "breakers"
PARTITION = "breaker"
SCHEMA_VERSION = 1


class BreakerStoreError(Exception):
    """Base of the store's errors."""


class WriteConflictError(BreakerStoreError):
    """The ETag no longer matches (or the entity already exists): re-read and try again."""


class StoreUnavailableError(BreakerStoreError):
    """The store could not be reached, timed out, or returned something unusable."""


@dataclass(frozen=True, slots=True)
class Versioned:
    """A stored breaker and the ETag to write it back with."""

    state: Breaker
    etag: str


class BreakerStore(Protocol):
    """One breaker per provider, with optimistic concurrency."""

    @property
    def reads(self) -> int:
        """Read requests made so far."""
        ...

    @property
    def writes(self) -> int:
        """Write requests made so far, including refused ones."""
        ...

    def read(self, provider: str) -> Versioned | None:
        """The stored breaker, or None if none was ever written."""
        ...

    def read_all(self) -> dict[str, Versioned]:
        """Every stored breaker, in one round trip."""
        ...

    def write(self, provider: str, state: Breaker, etag: str | None) -> str:
        """Store ``state`` if the stored ETag is ``etag`` (None: only if absent); the new ETag."""
        ...


# --- codec: Breaker <-> flat entity of simple property types ---------------------------------

Entity = dict[str, str | int | float | bool]


def encode(state: Breaker) -> Entity:
    """Flat, JSON-friendly properties; None fields are left out."""
    entity: Entity = {
        "schema": SCHEMA_VERSION,
        "state": state.state.value,
        "consecutive_failures": state.consecutive_failures,
        "bucket_s": float(state.bucket_s),
        # One compact string: a property per bucket would bloat the entity and its schema.
        "buckets": json.dumps([[b.index, b.calls, b.failures] for b in state.buckets]),
        "failed_probes": state.failed_probes,
        "probes": state.probes,
        "forced": state.forced,
        "reason": state.reason.value,
    }
    optional = {
        "opened_at": state.opened_at,
        "open_until": state.open_until,
        "probe_lease_until": state.probe_lease_until,
        "changed_at": state.changed_at,
    }
    entity.update({k: float(v) for k, v in optional.items() if v is not None})
    return entity


def decode(entity: Mapping[str, Any]) -> Breaker:
    """The breaker in ``entity``; raises ValueError (or KeyError/TypeError) if it is malformed."""
    if int(entity.get("schema", SCHEMA_VERSION)) != SCHEMA_VERSION:
        raise ValueError(f"unknown breaker schema {entity.get('schema')!r}")
    raw_buckets = json.loads(str(entity.get("buckets", "[]")))
    return Breaker(
        state=BreakerState(entity["state"]),
        consecutive_failures=int(entity.get("consecutive_failures", 0)),
        bucket_s=float(entity.get("bucket_s", 0.0)),
        buckets=tuple(Bucket(int(i), int(c), int(f)) for i, c, f in raw_buckets),
        opened_at=_optional_float(entity, "opened_at"),
        open_until=_optional_float(entity, "open_until"),
        failed_probes=int(entity.get("failed_probes", 0)),
        probe_lease_until=_optional_float(entity, "probe_lease_until"),
        probes=int(entity.get("probes", 0)),
        forced=bool(entity.get("forced", False)),
        reason=Reason(entity.get("reason", "")),
        changed_at=_optional_float(entity, "changed_at"),
    )


def _optional_float(entity: Mapping[str, Any], key: str) -> float | None:
    value = entity.get(key)
    return None if value is None else float(value)


# --- in-memory store -------------------------------------------------------------------------


class InMemoryBreakerStore:
    """A thread-safe store in this process; shared by services in tests and single-instance runs.

    Setting ``unavailable = True`` makes every call raise :class:`StoreUnavailableError`, to
    rehearse outages.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Versioned] = {}
        self._version = 0
        self.reads = 0
        self.writes = 0
        self.unavailable = False

    def read(self, provider: str) -> Versioned | None:
        with self._lock:
            self.reads += 1
            self._check()
            return self._items.get(provider)

    def read_all(self) -> dict[str, Versioned]:
        with self._lock:
            self.reads += 1
            self._check()
            return dict(self._items)

    def write(self, provider: str, state: Breaker, etag: str | None) -> str:
        with self._lock:
            self.writes += 1
            self._check()
            stored = self._items.get(provider)
            if (stored.etag if stored else None) != etag:
                raise WriteConflictError(provider)
            self._version += 1
            new_etag = f"mem-{self._version}"
            self._items[provider] = Versioned(state, new_etag)
            return new_etag

    def _check(self) -> None:
        if self.unavailable:
            raise StoreUnavailableError("in-memory breaker store set unavailable")


# --- Table Storage store ---------------------------------------------------------------------


class TableBreakerStore:
    """Breakers as entities (PartitionKey ``breaker``, RowKey = provider) in one table.

    Construction does no I/O, so a dead storage account cannot stop the app starting; the table
    is created on the first write that finds it missing (or by :meth:`ensure_table`).
    """

    def __init__(self, client: TableClient, *, partition: str = PARTITION) -> None:
        self._client = client
        self._partition = partition
        self.reads = 0
        self.writes = 0

    @classmethod
    def from_connection_string(
        cls,
        connection: str,
        table_name: str = DEFAULT_TABLE,
        *,
        timeout_s: float = 1.0,
        partition: str = PARTITION,
    ) -> TableBreakerStore:
        """A store on ``table_name``; every request gives up after about ``timeout_s``."""
        from azure.data.tables import TableClient  # noqa: PLC0415 - keep cold starts cheap

        client = TableClient.from_connection_string(
            connection,
            table_name=table_name,
            connection_timeout=timeout_s,
            read_timeout=timeout_s,
            # Retries belong to the caller: the SDK's default (with back-off) could stall chat
            # for many seconds on a dead account.
            retry_total=0,
        )
        return cls(client, partition=partition)

    def close(self) -> None:
        self._client.close()

    def ensure_table(self) -> None:
        """Create the table if it does not exist."""
        from azure.core.exceptions import AzureError, ResourceExistsError  # noqa: PLC0415

        self.writes += 1
        try:
            self._client.create_table()
        except ResourceExistsError:
            return
        except AzureError as exc:
            raise StoreUnavailableError("could not create the breaker table") from exc

    def read(self, provider: str) -> Versioned | None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError  # noqa: PLC0415

        self.reads += 1
        try:
            entity = self._client.get_entity(self._partition, provider)
        except ResourceNotFoundError:
            return None  # no such entity, or no table yet: both mean "never written"
        except AzureError as exc:
            raise StoreUnavailableError("breaker read failed") from exc
        return _versioned(entity)

    def read_all(self) -> dict[str, Versioned]:
        from azure.core.exceptions import AzureError, ResourceNotFoundError  # noqa: PLC0415

        self.reads += 1
        try:
            entities = list(
                self._client.query_entities(
                    "PartitionKey eq @pk", parameters={"pk": self._partition}
                )
            )
        except ResourceNotFoundError:
            return {}
        except AzureError as exc:
            raise StoreUnavailableError("breaker query failed") from exc
        return {str(e["RowKey"]): _versioned(e) for e in entities}

    def write(self, provider: str, state: Breaker, etag: str | None) -> str:
        from azure.core import MatchConditions  # noqa: PLC0415
        from azure.core.exceptions import (  # noqa: PLC0415
            AzureError,
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )
        from azure.data.tables import UpdateMode  # noqa: PLC0415

        entity: dict[str, Any] = {
            "PartitionKey": self._partition,
            "RowKey": provider,
            **encode(state),
        }
        for attempt in range(2):
            self.writes += 1
            try:
                if etag is None:
                    metadata = self._client.create_entity(entity)
                else:
                    metadata = self._client.update_entity(
                        entity,
                        mode=UpdateMode.REPLACE,
                        etag=etag,
                        match_condition=MatchConditions.IfNotModified,
                    )
            except (ResourceModifiedError, ResourceExistsError) as exc:
                raise WriteConflictError(provider) from exc
            except ResourceNotFoundError as exc:
                if etag is not None:
                    raise WriteConflictError(provider) from exc  # deleted under us: re-read
                if attempt == 0:
                    self.ensure_table()
                    continue
                raise StoreUnavailableError("breaker table missing") from exc
            except AzureError as exc:
                raise StoreUnavailableError("breaker write failed") from exc
            return str(metadata["etag"])
        raise StoreUnavailableError(
            "breaker table missing"
        )  # pragma: no cover - loop always returns


def _versioned(entity: Mapping[str, Any]) -> Versioned:
    metadata = getattr(entity, "metadata", {})
    try:
        return Versioned(decode(entity), str(metadata["etag"]))
    except (KeyError, TypeError, ValueError) as exc:
        # A malformed entity must not take chat down: the caller degrades to local state.
        raise StoreUnavailableError("breaker entity is malformed") from exc
