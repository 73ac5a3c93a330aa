"""The records outbox: audit rows and breaker outcomes that a stopping process could not write.

A process that is told to stop (SIGTERM in Azure; the dev host's shutdown) first drains its
audit and breaker outcome queues to their tables for a bounded time. What is still unwritten
then is put on the ``records-outbox`` storage queue, in messages of many rows; the
``records_outbox`` queue trigger, on whichever instance runs it, later writes them to the same
tables. Both steps are at-least-once, and both are idempotent where it matters: an audit row
has a fixed key, and inserting it twice stores it once. A breaker outcome applied twice
counts once more, which is better than forgetting a failure.

Only when the queue cannot be reached either does a row fall back to the log line
(:func:`shared.observability.audit.keep_in_log`), as a table outage does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.models import Outcome
from shared.observability.audit import AuditStore, keep_in_log
from shared.platform import MAX_MESSAGE_TEXT

log = logging.getLogger(__name__)

AUDIT_ROWS = "audit_rows"
BREAKER_OUTCOMES = "breaker_outcomes"
_DATETIME = "$datetime"
_MAX_ITEMS = 100  # one table transaction at most
# Leave room for the envelope and for the base64 growth the queue limit already allows for.
_MAX_ITEMS_TEXT = MAX_MESSAGE_TEXT - 1024

# Puts one JSON message on the outbox queue; raises when it cannot.
Put = Callable[[dict[str, Any]], None]
RecordOutcome = Callable[[str, Outcome, float | None, bool], None]


@dataclass(frozen=True, slots=True)
class Spilled:
    """What a stopping process did with its unwritten records."""

    queued: int
    logged: int


def encode_entity(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A table row as JSON: datetimes become ``{"$datetime": iso}``."""
    return {
        key: {_DATETIME: value.isoformat()} if isinstance(value, datetime) else value
        for key, value in entity.items()
    }


def decode_entity(data: Mapping[str, Any]) -> dict[str, Any]:
    """The row :func:`encode_entity` wrote."""
    return {
        key: datetime.fromisoformat(value[_DATETIME])
        if isinstance(value, dict) and _DATETIME in value
        else value
        for key, value in data.items()
    }


def _messages(kind: str, items: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """``items`` in as few messages as fit the queue's size limit."""
    chunk: list[Mapping[str, Any]] = []
    size = 0
    for item in items:
        item_size = len(json.dumps(item, separators=(",", ":"), default=str)) + 1
        if chunk and (size + item_size > _MAX_ITEMS_TEXT or len(chunk) >= _MAX_ITEMS):
            yield {"kind": kind, "items": chunk}
            chunk, size = [], 0
        chunk.append(item)
        size += item_size
    if chunk:
        yield {"kind": kind, "items": chunk}


class RecordsOutbox:
    """Puts unwritten records on the outbox queue, within a deadline."""

    def __init__(self, put: Put, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._put = put
        self._monotonic = monotonic

    def spill(
        self,
        audit_rows: Sequence[Mapping[str, Any]],
        outcomes: Sequence[Mapping[str, Any]],
        *,
        deadline: float,
    ) -> Spilled:
        """Queue every record; a row the queue cannot take before ``deadline`` (a
        :func:`time.monotonic` value) goes to the log. Outcomes that cannot be queued are
        logged by name and outcome only."""
        queued = logged = 0
        messages = [
            *_messages(AUDIT_ROWS, [encode_entity(row) for row in audit_rows]),
            *_messages(BREAKER_OUTCOMES, list(outcomes)),
        ]
        failed = False
        for message in messages:
            count = len(message["items"])
            if not failed and self._monotonic() < deadline:
                try:
                    self._put(message)
                except Exception as exc:  # noqa: BLE001 - storage down: the log is the last resort
                    log.error("records outbox unavailable: %s", type(exc).__name__)  # noqa: TRY400 - no trace: it may name a row
                    failed = True
                else:
                    queued += count
                    continue
            logged += count
            for item in message["items"]:
                if message["kind"] == AUDIT_ROWS:
                    keep_in_log(item, "stopping; outbox unavailable")
                else:
                    log.warning(
                        "breaker outcome lost at shutdown: tier=%s outcome=%s",
                        item.get("tier"),
                        item.get("outcome"),
                    )
        return Spilled(queued=queued, logged=logged)


def apply_message(
    message: Mapping[str, Any], *, audit: AuditStore, record_outcome: RecordOutcome
) -> int:
    """Write one outbox message's records to their tables; how many. Raises on storage
    trouble (the message is retried) and ``ValueError`` for a message it cannot read."""
    kind = message.get("kind")
    items = message.get("items")
    if not isinstance(items, list):
        raise ValueError("an outbox message needs a list of items")  # noqa: TRY004 - one error type for a bad message
    if kind == AUDIT_ROWS:
        rows = [decode_entity(item) for item in items]
        by_day: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_day.setdefault(str(row["PartitionKey"]), []).append(row)
        for day_rows in by_day.values():
            audit.append_many(day_rows)  # a row already stored counts as stored
        return len(rows)
    if kind == BREAKER_OUTCOMES:
        for item in items:
            retry_after = item.get("retry_after_s")
            record_outcome(
                str(item["tier"]),
                Outcome(item["outcome"]),
                None if retry_after is None else float(retry_after),
                bool(item.get("probe", False)),
            )
        return len(items)
    raise ValueError(f"unknown outbox message kind {kind!r}")
