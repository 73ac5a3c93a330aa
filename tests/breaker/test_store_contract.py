"""One behavioural contract, run against every store: in-memory and Table Storage on Azurite."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from devhost import azurite
from shared.breakers.rule import Breaker, BreakerState, Bucket, Reason
from shared.breakers.store import (
    BreakerStore,
    InMemoryBreakerStore,
    StoreUnavailableError,
    TableBreakerStore,
    WriteConflictError,
    decode,
    encode,
)

from .conftest import T0, fresh_table_name

RICH = Breaker(
    state=BreakerState.HALF_OPEN,
    consecutive_failures=4,
    bucket_s=5.0,
    buckets=(Bucket(360_000_000, 7, 3), Bucket(360_000_001, 2, 2)),
    opened_at=T0,
    open_until=T0 + 60.25,
    failed_probes=1,
    probe_lease_until=T0 + 65.5,
    probes=3,
    forced=False,
    reason=Reason.BREAK_ENDED,
    changed_at=T0 + 60.25,
)


def test_an_unknown_provider_reads_as_none(store: BreakerStore) -> None:
    """A provider that was never written has no stored breaker."""
    assert store.read("openai") is None
    assert store.read_all() == {}


def test_a_created_breaker_reads_back_with_its_etag(store: BreakerStore) -> None:
    """Creating returns an ETag, and reading returns the same state and ETag."""
    etag = store.write("openai", RICH, None)
    stored = store.read("openai")
    assert stored is not None
    assert stored.state == RICH
    assert stored.etag == etag


def test_creating_twice_conflicts(store: BreakerStore) -> None:
    """A second create of the same provider loses the race (409)."""
    store.write("openai", Breaker(), None)
    with pytest.raises(WriteConflictError):
        store.write("openai", RICH, None)


def test_a_write_with_the_current_etag_replaces_and_changes_the_etag(store: BreakerStore) -> None:
    """An up-to-date write wins and yields a new ETag."""
    first = store.write("openai", Breaker(), None)
    second = store.write("openai", RICH, first)
    stored = store.read("openai")
    assert second != first
    assert stored is not None
    assert (stored.state, stored.etag) == (RICH, second)


def test_a_write_with_a_stale_etag_conflicts_and_changes_nothing(store: BreakerStore) -> None:
    """A write based on an old read is refused (412) and the newer state survives."""
    stale = store.write("openai", Breaker(), None)
    store.write("openai", RICH, stale)
    with pytest.raises(WriteConflictError):
        store.write("openai", Breaker(consecutive_failures=9), stale)
    stored = store.read("openai")
    assert stored is not None
    assert stored.state == RICH


def test_updating_a_missing_breaker_conflicts(store: BreakerStore) -> None:
    """An ETag for an entity that is not there means our view is wrong: re-read."""
    etag = store.write("openai", Breaker(), None)
    with pytest.raises(WriteConflictError):
        store.write("anthropic", Breaker(), etag)


def test_read_all_returns_every_provider_with_its_etag(store: BreakerStore) -> None:
    """One call returns all stored breakers, each writable with its ETag."""
    etags = {name: store.write(name, Breaker(probes=i), None) for i, name in enumerate("abc")}
    found = store.read_all()
    assert {name: v.etag for name, v in found.items()} == etags
    assert [found[name].state.probes for name in "abc"] == [0, 1, 2]
    store.write("b", RICH, found["b"].etag)


def test_the_store_counts_its_reads_and_writes(store: BreakerStore) -> None:
    """Every request is counted, including refused writes, for per-request benchmarks."""
    store.write("warm-up", Breaker(), None)  # a table store creates its table on first use
    reads, writes = store.reads, store.writes
    etag = store.write("openai", Breaker(), None)
    store.read("openai")
    store.read_all()
    store.write("openai", Breaker(probes=1), etag)
    with pytest.raises(WriteConflictError):
        store.write("openai", Breaker(), etag)
    assert (store.reads - reads, store.writes - writes) == (2, 3)


def test_the_codec_round_trips_and_uses_simple_types() -> None:
    """An entity holds only str, int, float and bool values and decodes to the same state."""
    entity = encode(RICH)
    assert all(type(v) in {str, int, float, bool} for v in entity.values())
    assert decode(entity) == RICH
    assert decode(encode(Breaker())) == Breaker()


def test_the_codec_refuses_an_unknown_schema() -> None:
    """An entity from a future schema is an error, not a silent misread."""
    with pytest.raises(ValueError, match="schema"):
        decode({**encode(RICH), "schema": 99})


# --- unavailable stores -------------------------------------------------------------------------


@pytest.fixture(params=["memory", "closed_port"])
def dead_store(request: pytest.FixtureRequest) -> Iterator[BreakerStore]:
    """A store that cannot be reached: switched off in memory, or a table at a closed port."""
    if request.param == "memory":
        memory = InMemoryBreakerStore()
        memory.unavailable = True
        yield memory
        return
    table = TableBreakerStore.from_connection_string(
        azurite.connection_string(azurite.free_port()), "breakers", timeout_s=0.5
    )
    try:
        yield table
    finally:
        table.close()


@pytest.mark.parametrize("call", ["read", "read_all", "write"])
def test_an_unreachable_store_raises_store_unavailable_quickly(
    dead_store: BreakerStore, call: str
) -> None:
    """Connection failures surface as StoreUnavailableError, within the short timeout."""
    actions: dict[str, Callable[[], object]] = {
        "read": lambda: dead_store.read("openai"),
        "read_all": dead_store.read_all,
        "write": lambda: dead_store.write("openai", Breaker(), None),
    }
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        actions[call]()
    assert time.monotonic() - started < 5.0


@pytest.mark.integration
def test_a_malformed_entity_reads_as_unavailable(azurite_connection: str) -> None:
    """A corrupt entity degrades the breaker store instead of crashing chat."""
    from azure.data.tables import TableClient  # noqa: PLC0415

    name = fresh_table_name()
    store = TableBreakerStore.from_connection_string(azurite_connection, name)
    store.ensure_table()
    with TableClient.from_connection_string(azurite_connection, name) as raw:
        raw.upsert_entity({"PartitionKey": "breaker", "RowKey": "openai", "state": "melted"})
    with pytest.raises(StoreUnavailableError):
        store.read("openai")
    store.close()
