"""The audit trail: rows, the background writer with retry and log fallback, reads, purge."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from shared.observability.audit import (
    CHAT,
    EVENT,
    AuditConfig,
    AuditStore,
    AuditTrail,
    AuditWriter,
    MemoryAuditStore,
    TableAuditStore,
    chat_entity,
    day_partition,
    record_from_entity,
    row_key,
)
from shared.platform.settings import Settings
from tests.observability.helpers import START, ManualClock, emergency_record, failover_record

DAY = 86_400.0
FAST = AuditConfig(write_attempts=3, retry_delay_s=0.5, outage_retry_s=30.0, idle_exit_s=0.2)


class FlakyStore(MemoryAuditStore):
    """Fails the first ``failures`` appends."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.calls = 0

    def append(self, entity: Mapping[str, Any]) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("storage down")
        super().append(entity)


class Kept:
    """The log fallback, recorded."""

    def __init__(self) -> None:
        self.rows: list[tuple[Mapping[str, Any], str]] = []

    def __call__(self, entity: Mapping[str, Any], reason: str) -> None:
        self.rows.append((entity, reason))


def writer(
    store: AuditStore, kept: Kept, *, clock: ManualClock | None = None, **config: Any
) -> tuple[AuditWriter, list[float]]:
    pauses: list[float] = []
    settings = replace(FAST, **config)
    built = AuditWriter(
        lambda: store,
        settings,
        sleep=pauses.append,
        monotonic=clock or ManualClock(),
        fallback=kept,
    )
    return built, pauses


def test_chat_row_holds_the_audited_facts() -> None:
    """A chat row has time, reference, tier, provider, attempts, crisis, latency; no content."""
    row = chat_entity(failover_record(), "ok")
    assert set(row) == {
        "PartitionKey", "RowKey", "kind", "at", "request_id", "conversation_ref", "tier",
        "provider", "outcome", "attempts", "crisis", "escalated", "degraded", "simulated",
        "latency_ms", "status",
    }  # fmt: skip
    assert json.loads(row["attempts"])[0] == {
        "provider": "openai",
        "outcome": "timeout",
        "ms": 600.0,
    }


def test_chat_row_reads_back_as_the_same_record() -> None:
    """Reading a row back gives the record the status page works on."""
    original = emergency_record()
    assert record_from_entity(chat_entity(original, "emergency")) == original


def test_rows_are_partitioned_by_utc_day_and_ordered_by_time() -> None:
    """A day's rows sort by time within the kind."""
    assert day_partition(START) == "20270115"
    assert row_key(CHAT, START, "a") < row_key(CHAT, START + 0.001, "a")


def test_writer_retries_then_writes() -> None:
    """Two failures, then success: written once, after doubling pauses, nothing in the log."""
    store, kept = FlakyStore(failures=2), Kept()
    audit, pauses = writer(store, kept)
    assert audit.write_now(chat_entity(failover_record(), "ok"))
    assert pauses == [0.5, 1.0]
    assert (audit.stats.written, audit.stats.retried, audit.stats.kept_in_log) == (1, 2, 0)


def test_row_is_kept_in_the_log_when_storage_stays_down() -> None:
    """After the last attempt the row goes to the log, and the gap is counted."""
    store, kept = FlakyStore(failures=99), Kept()
    audit, _ = writer(store, kept)
    row = chat_entity(failover_record(), "ok")
    assert not audit.write_now(row)
    assert kept.rows == [(row, "storage unavailable: ConnectionError")]
    assert audit.stats.kept_in_log == 1
    assert not audit.stats.storage_ok


def test_storage_is_not_tried_again_during_an_outage() -> None:
    """Inside the outage pause, rows go straight to the log without touching storage."""
    store, kept = FlakyStore(failures=99), Kept()
    audit, _ = writer(store, kept)
    audit.write_now(chat_entity(failover_record(), "ok"))
    calls = store.calls
    audit.write_now(chat_entity(failover_record(at=START + 1), "ok"))
    assert store.calls == calls
    assert len(kept.rows) == 2


def test_storage_is_tried_again_after_the_outage_pause() -> None:
    """Once the pause is over, the writer tries storage again and recovers."""
    clock = ManualClock()
    store, kept = FlakyStore(failures=3), Kept()
    audit, _ = writer(store, kept, clock=clock)
    audit.write_now(chat_entity(failover_record(), "ok"))
    clock.advance(31.0)
    assert audit.write_now(chat_entity(failover_record(at=START + 1), "ok"))
    assert audit.stats.storage_ok


def test_fallback_line_is_structured_json(caplog: pytest.LogCaptureFixture) -> None:
    """The default fallback logs one line carrying the row as JSON."""
    audit = AuditWriter(lambda: FlakyStore(99), FAST, sleep=lambda _s: None)
    row = chat_entity(failover_record(), "ok")
    with caplog.at_level(logging.WARNING, logger="shared.observability.audit"):
        audit.write_now(row)
    message = caplog.records[-1].getMessage()
    assert message.startswith("audit record kept in the log")
    assert json.loads(message.split("record=", 1)[1])["request_id"] == row["request_id"]


class BlockingStore(MemoryAuditStore):
    """Holds every append until released; says when the first one has begun."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.stored = 0

    def append(self, entity: Mapping[str, Any]) -> None:
        self.entered.set()
        self.release.wait(5.0)
        super().append(entity)
        self.stored += 1


def test_submit_returns_while_storage_is_slow() -> None:
    """Queuing a row never waits for storage: submit returns while the write is still held."""
    store, kept = BlockingStore(), Kept()
    audit, _ = writer(store, kept)
    audit.submit(chat_entity(failover_record(), "ok"))
    # Had submit waited for storage, the held append would have finished (its hold ends after
    # 5 s) and the row would be stored by now. No wall-clock bound: the order is the proof.
    assert store.entered.wait(30.0), "the background writer never reached storage"
    assert store.stored == 0
    store.release.set()
    assert audit.drain(30.0)
    assert store.stored == 1


def test_full_queue_sends_rows_to_the_log() -> None:
    """Beyond the queue size a row is logged rather than blocking the caller."""
    store, kept = BlockingStore(), Kept()
    audit, _ = writer(store, kept, queue_size=1)
    rows = [chat_entity(failover_record(at=START + i), "ok") for i in range(3)]
    audit.submit(rows[0])
    assert store.entered.wait(5.0), "the writer took the first row off the queue"
    audit.submit(rows[1])
    audit.submit(rows[2])
    store.release.set()
    assert audit.drain(5.0)
    assert [reason for _, reason in kept.rows] == ["queue full"]


def test_background_thread_writes_queued_rows() -> None:
    """Queued rows reach the store."""
    store, kept = MemoryAuditStore(), Kept()
    audit, _ = writer(store, kept)
    for i in range(5):
        audit.submit(chat_entity(failover_record(at=START + i), "ok"))
    assert audit.drain(5.0)
    assert len(store.rows(day_partition(START), "chat-", "chat.")) == 5


def trail_on(store: AuditStore, clock: ManualClock) -> AuditTrail:
    return AuditTrail(AuditWriter(lambda: store, FAST, sleep=lambda _s: None), FAST, clock)


def test_records_read_back_across_days_newest_kept() -> None:
    """A window spanning midnight reads both days; the limit keeps the newest rows."""
    store = MemoryAuditStore()
    clock = ManualClock(START + DAY)
    trail = trail_on(store, clock)
    for offset in (-DAY + 60, -120.0, -60.0):
        store.append(chat_entity(failover_record(at=START + DAY + offset), "ok"))
    found = trail.records(START, START + DAY, limit=2)
    assert [r.at.timestamp() for r in found] == [START + DAY - 120.0, START + DAY - 60.0]


@pytest.mark.safety("H10")
def test_purge_deletes_rows_older_than_the_retention_period() -> None:
    """Rows older than 90 days go; younger rows stay."""
    store = MemoryAuditStore()
    now = START + 200 * DAY
    trail = trail_on(store, ManualClock(now))
    old = chat_entity(failover_record(at=now - 91 * DAY), "ok")
    edge_old = chat_entity(failover_record(at=now - 90 * DAY - 5), "ok")
    young = chat_entity(failover_record(at=now - 89 * DAY), "ok")
    for row in (old, edge_old, young):
        store.append(row)
    result = trail.purge()
    assert result.deleted == 2
    remaining = trail.records(now - 100 * DAY, now, limit=100)
    assert [r.request_id for r in remaining] == [young["request_id"]]


@pytest.mark.safety("H10")
def test_purge_is_audited() -> None:
    """The purge writes an event row with how many rows it deleted."""
    store = MemoryAuditStore()
    now = START + 200 * DAY
    trail = trail_on(store, ManualClock(now))
    store.append(chat_entity(failover_record(at=now - 95 * DAY), "ok"))
    trail.purge()
    events = trail.events(EVENT, now - 1, now + 1, limit=10)
    assert [(e.name, e.fields["deleted"], e.fields["retention_days"]) for e in events] == [
        ("retention_purge", 1, 90)
    ]


# --- one contract, both stores ----------------------------------------------------------------


@pytest.fixture(params=["memory", pytest.param("table", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> Iterator[AuditStore]:
    if request.param == "memory":
        yield MemoryAuditStore()
        return
    connection: str = request.getfixturevalue("azurite_connection")
    settings = Settings(storage_connection=connection)
    config = AuditConfig(table="audit" + uuid.uuid4().hex[:12])
    table = TableAuditStore.for_settings(settings, config)
    yield table
    table._table.delete_table()


def rows_of(day: float, count: int) -> list[dict[str, Any]]:
    return [chat_entity(failover_record(at=day + i), "ok") for i in range(count)]


def test_store_append_twice_keeps_one_row(store: AuditStore) -> None:
    """Appending a row that is already stored (a retry) is not an error."""
    row = rows_of(START, 1)[0]
    store.append(row)
    store.append(row)
    assert len(store.rows(row["PartitionKey"], "chat-", "chat.")) == 1


def test_store_appends_many_rows_even_when_one_is_already_there(store: AuditStore) -> None:
    """A batch lands whole; a batch that repeats an already stored row (a retry) still lands."""
    rows = rows_of(START, 5)
    store.append(rows[2])
    store.append_many(rows)
    assert len(store.rows(rows[0]["PartitionKey"], "chat-", "chat.")) == 5


def test_store_reads_a_row_key_range_in_order(store: AuditStore) -> None:
    """rows() returns the half-open RowKey range of one day, in order."""
    rows = rows_of(START, 4)
    for row in reversed(rows):
        store.append(row)
    found = store.rows(rows[0]["PartitionKey"], rows[1]["RowKey"], rows[3]["RowKey"])
    assert [r["RowKey"] for r in found] == [rows[1]["RowKey"], rows[2]["RowKey"]]


def test_store_lists_and_deletes_earlier_days(store: AuditStore) -> None:
    """keys_before() finds older days; delete() removes them and skips missing rows."""
    old, new = rows_of(START - 2 * DAY, 2), rows_of(START, 1)
    for row in old + new:
        store.append(row)
    keys = store.keys_before(day_partition(START))
    assert sorted(keys) == sorted((r["PartitionKey"], r["RowKey"]) for r in old)
    assert store.delete(keys) == 2
    assert store.keys_before(day_partition(START)) == []
    assert len(store.rows(day_partition(START), "chat-", "chat.")) == 1


def test_store_delete_of_a_missing_row_is_not_an_error(store: AuditStore) -> None:
    """A row another purge already removed is skipped."""
    store.delete([("19990101", "chat-0000000000000-missing")])


def test_trail_reads_what_it_wrote(store: AuditStore) -> None:
    """Through the writer and back: one row per request, the same record."""
    clock = ManualClock(START + 10)
    trail = AuditTrail(AuditWriter(lambda: store, FAST, sleep=lambda _s: None), FAST, clock)
    record = failover_record(at=START)
    trail.chat(record, "ok")
    assert trail.drain(10.0)
    assert trail.records(START - 1, START + 10, limit=10) == [record]


class CountingStore(MemoryAuditStore):
    """Counts storage round trips."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def append_many(self, entities: Sequence[Mapping[str, Any]]) -> None:
        self.calls += 1
        super().append_many(entities)


def test_rows_of_one_day_share_one_storage_write() -> None:
    """Rows queued together for the same day go to storage in one transaction."""
    store, kept = CountingStore(), Kept()
    audit, _ = writer(store, kept, batch_linger_s=0.5)
    for i in range(30):
        audit.submit(chat_entity(failover_record(at=START + i), "ok"))
    assert audit.drain(5.0)
    assert len(store.rows(day_partition(START), "chat-", "chat.")) == 30
    assert store.calls == 1
