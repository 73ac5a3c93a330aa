"""A stopping process: what its writers hand back, and the records outbox (no storage)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.breakers.writer import OutcomeWriter
from shared.models import Outcome
from shared.observability.audit import AuditConfig, AuditWriter, MemoryAuditStore
from shared.observability.outbox import (
    AUDIT_ROWS,
    BREAKER_OUTCOMES,
    RecordsOutbox,
    apply_message,
    decode_entity,
    encode_entity,
)


def row(n: int) -> dict[str, Any]:
    return {
        "PartitionKey": "20270115",
        "RowKey": f"chat-{n:013d}-r{n}",
        "kind": "chat",
        "at": datetime(2027, 1, 15, 8, 0, n, tzinfo=UTC),
        "request_id": f"chatcmpl-{n}",
    }


def test_outcome_writer_close_hands_back_unwritten_records() -> None:
    """Writes still waiting when close() times out come back as their records."""
    release = threading.Event()
    writer = OutcomeWriter()
    writer.submit(lambda: release.wait(10.0) and None, {"tier": "openai", "n": 1})
    writer.submit(lambda: None, {"tier": "openai", "n": 2})
    left = writer.close(0.05)
    release.set()
    assert [r["n"] for r in left] == [1, 2]


def test_outcome_writer_close_after_the_writes_hands_back_nothing() -> None:
    """Writes that finished within the bound are not handed back."""
    writer = OutcomeWriter()
    writer.submit(lambda: None, {"tier": "openai"})
    assert writer.close(10.0) == []


def test_audit_writer_close_hands_back_queued_and_unfinished_rows() -> None:
    """Rows queued or in a batch still being written at the bound are handed back."""
    release = threading.Event()

    class SlowStore(MemoryAuditStore):
        def append_many(self, entities: Any) -> None:
            release.wait(10.0)
            super().append_many(entities)

    writer = AuditWriter(SlowStore, AuditConfig(batch_linger_s=0.0))
    for n in range(3):
        writer.submit(row(n))
    left = writer.close(0.05)
    release.set()
    assert sorted(r["RowKey"] for r in left) == sorted(row(n)["RowKey"] for n in range(3))


def test_an_entity_survives_its_json_form() -> None:
    """Datetimes are tagged in JSON and read back as datetimes."""
    assert decode_entity(encode_entity(row(1))) == row(1)


def test_spill_puts_rows_and_outcomes_on_the_queue() -> None:
    """Every record is queued, each kind in its own messages."""
    messages: list[dict[str, Any]] = []
    spilled = RecordsOutbox(messages.append).spill(
        [row(1), row(2)], [{"tier": "openai", "outcome": "timeout"}], deadline=float("inf")
    )
    assert (spilled.queued, spilled.logged) == (3, 0)
    assert [(m["kind"], len(m["items"])) for m in messages] == [
        (AUDIT_ROWS, 2),
        (BREAKER_OUTCOMES, 1),
    ]


def test_spill_splits_into_messages_the_queue_accepts() -> None:
    """More rows than one transaction holds are split across messages."""
    messages: list[dict[str, Any]] = []
    RecordsOutbox(messages.append).spill([row(n % 60) for n in range(250)], [], deadline=1e18)
    assert [len(m["items"]) for m in messages] == [100, 100, 50]


def test_spill_logs_what_the_queue_cannot_take() -> None:
    """When the queue is down the rows go to the log, counted."""

    def down(_message: dict[str, Any]) -> None:
        raise OSError("queue down")

    spilled = RecordsOutbox(down).spill([row(1)], [], deadline=float("inf"))
    assert (spilled.queued, spilled.logged) == (0, 1)


def test_spill_past_its_deadline_logs_instead_of_waiting() -> None:
    """Nothing is put once the deadline has passed."""
    messages: list[dict[str, Any]] = []
    spilled = RecordsOutbox(messages.append, monotonic=lambda: 10.0).spill(
        [row(1)], [], deadline=5.0
    )
    assert messages == []
    assert spilled.logged == 1


def test_applying_an_audit_message_stores_its_rows_once() -> None:
    """The rows reach the store; a repeated message adds nothing."""
    store = MemoryAuditStore()
    messages: list[dict[str, Any]] = []
    RecordsOutbox(messages.append).spill([row(1), row(2)], [], deadline=float("inf"))

    def no_outcomes(*_args: Any) -> None:
        raise AssertionError("no outcome expected")

    for _ in range(2):
        apply_message(messages[0], audit=store, record_outcome=no_outcomes)
    assert sorted(r["RowKey"] for r in store.rows("20270115", "chat-", "chat-~")) == [
        row(1)["RowKey"],
        row(2)["RowKey"],
    ]


def test_applying_an_outcome_message_records_each_outcome() -> None:
    """Breaker outcomes are fed to the breaker with their tier, outcome and probe flag."""
    seen: list[tuple[str, Outcome, float | None, bool]] = []
    message: Mapping[str, Any] = {
        "kind": BREAKER_OUTCOMES,
        "items": [
            {"tier": "openai", "outcome": "rate_limited", "retry_after_s": 2.0, "probe": True}
        ],
    }
    assert (
        apply_message(message, audit=MemoryAuditStore(), record_outcome=lambda *a: seen.append(a))
        == 1
    )
    assert seen == [("openai", Outcome.RATE_LIMITED, 2.0, True)]
