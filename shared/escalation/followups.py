"""Re-escalation: a stronger or different crisis signal in a conversation already escalated.

A conversation's open escalation (raised within the de-duplication window, acknowledged or
not) is remembered as a row in the ``escalations`` table (PartitionKey ``conversation``,
RowKey the pseudonymous reference): the first escalation's id, and what has been reported to
the nurse team since, by category (the highest signal severity) and by signal name. A new
crisis signal in that conversation is then

- a **follow-up**, linked to the first escalation, when its category has not been reported,
  its severity is higher than the category's so far (ideation, then a plan, then an act), or
  it carries a signal or taxonomy class not reported yet;
- a **duplicate** only when it reports nothing new: the same category, no higher severity,
  and every signal already reported.

The decision (:func:`decide`) is a pure function over values. Writing the row back is an
ETag-guarded replace, so two instances that see the same new signal raise one follow-up.
Rows hold names, ranks and ids: never message text.

Severity is data (``signal_severity`` in ``config/escalation-config.json``): ranks by pattern
family or concept-rule name, by taxonomy class id (``self_harm.overdose_taken``), and by the
suffix of a class id (``_taken``); a name with no rank is rank ``default_rank``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from shared.platform import ConfigError, ConfigReader, Settings, ensure_table, table_client

log = logging.getLogger(__name__)

CONVERSATION_PARTITION = "conversation"

Decision = Literal["new", "follow_up", "duplicate"]


@dataclass(frozen=True, slots=True)
class SignalSeverity:
    """How severe a crisis signal is, as a rank: 1 ideation, 2 a plan or means, 3 an act."""

    default_rank: int = 1
    labels: Mapping[int, str] = field(default_factory=dict)
    signals: Mapping[str, int] = field(default_factory=dict)
    classes: Mapping[str, int] = field(default_factory=dict)
    class_suffixes: Mapping[str, int] = field(default_factory=dict)

    def of(self, name: str) -> int:
        """The rank of one signal or class name."""
        if name in self.signals:
            return self.signals[name]
        if name in self.classes:
            return self.classes[name]
        if "." not in name:  # a family or rule name; suffixes are for taxonomy class ids
            return self.default_rank
        ranks = [rank for suffix, rank in self.class_suffixes.items() if name.endswith(suffix)]
        return max(ranks, default=self.default_rank)

    def rank(self, names: tuple[str, ...]) -> int:
        """The rank of a message: its most severe signal (``default_rank`` for none)."""
        return max((self.of(n) for n in names), default=self.default_rank)

    def label(self, rank: int) -> str:
        return self.labels.get(rank, f"rank {rank}")


def parse_signal_severity(reader: ConfigReader) -> SignalSeverity:
    """Read ``signal_severity``; every rank must be one of ``labels``' keys."""
    labels = {}
    for key, value in reader.mapping("labels").items():
        if not key.isdigit() or not isinstance(value, str):
            raise ConfigError(f"{reader.where('labels')}.{key}: expected a rank and a label")
        labels[int(key)] = value
    default = reader.integer("default_rank", 1, minimum=1)

    def ranks(key: str) -> dict[str, int]:
        out = {}
        for name, value in reader.mapping(key).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{reader.where(key)}.{name}: expected a rank of at least 1")
            if labels and value not in labels:
                raise ConfigError(f"{reader.where(key)}.{name}: rank {value} has no label")
            out[name] = value
        return out

    return SignalSeverity(
        default_rank=default,
        labels=labels,
        signals=ranks("signals"),
        classes=ranks("classes"),
        class_suffixes=ranks("class_suffixes"),
    )


@dataclass(frozen=True, slots=True)
class OpenEscalation:
    """What a conversation's open escalation has reported to the nurse team so far."""

    first_id: str
    since: float  # when the latest escalation or follow-up for it was raised
    ranks: Mapping[str, int]  # category -> the highest rank reported
    reported: frozenset[str]  # "category:name" for every signal and class reported


@dataclass(frozen=True, slots=True)
class Signal:
    """One crisis message's signal, as the escalation sees it: names and a rank."""

    category: str
    names: tuple[str, ...]
    rank: int

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(f"{self.category}:{n}" for n in self.names)


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    first_id: str | None = None  # for a follow-up: the escalation it follows
    reason: str = ""


def decide(current: OpenEscalation | None, signal: Signal, now: float, window_s: float) -> Verdict:
    """New escalation, follow-up or duplicate (see the module docstring)."""
    if current is None or now - current.since >= window_s:
        return Verdict("new")
    reported = current.ranks.get(signal.category)
    if reported is None:
        return Verdict("follow_up", current.first_id, "category")
    if signal.rank > reported:
        return Verdict("follow_up", current.first_id, "severity")
    if not signal.keys <= current.reported:
        return Verdict("follow_up", current.first_id, "signal")
    return Verdict("duplicate", current.first_id)


def record(
    current: OpenEscalation | None, verdict: Verdict, signal: Signal, escalation_id: str, now: float
) -> OpenEscalation:
    """The conversation's row after raising ``escalation_id`` for ``signal``."""
    if verdict.decision == "new" or current is None:
        return OpenEscalation(escalation_id, now, {signal.category: signal.rank}, signal.keys)
    ranks = dict(current.ranks)
    ranks[signal.category] = max(ranks.get(signal.category, 0), signal.rank)
    return replace(current, since=now, ranks=ranks, reported=current.reported | signal.keys)


class ConversationEscalations(Protocol):
    """Where each conversation's open escalation is remembered, across instances."""

    def read(self, conversation_ref: str) -> tuple[OpenEscalation | None, Any]:
        """The row and its version tag (None, None when there is none)."""
        ...

    def write(self, conversation_ref: str, row: OpenEscalation, tag: Any) -> bool:
        """Replace the row if it is still at ``tag`` (create it when ``tag`` is None);
        False when another instance changed it first."""
        ...


class MemoryConversations:
    """This process's memory: unit tests, and the fallback while the table is unreachable."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[OpenEscalation, int]] = {}
        self._lock = threading.Lock()

    def read(self, conversation_ref: str) -> tuple[OpenEscalation | None, Any]:
        with self._lock:
            found = self._rows.get(conversation_ref)
        return (None, None) if found is None else found

    def write(self, conversation_ref: str, row: OpenEscalation, tag: Any) -> bool:
        with self._lock:
            found = self._rows.get(conversation_ref)
            if (found[1] if found else None) != tag:
                return False
            self._rows[conversation_ref] = (row, (tag or 0) + 1)
            return True


class TableConversations:
    """The shared rows, in the escalations table, replaced under their ETags."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def read(self, conversation_ref: str) -> tuple[OpenEscalation | None, Any]:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415

        try:
            entity = self._table.get_entity(CONVERSATION_PARTITION, conversation_ref)
        except ResourceNotFoundError:
            return None, None
        row = OpenEscalation(
            first_id=str(entity["first_id"]),
            since=float(entity["since"]),
            ranks={str(k): int(v) for k, v in json.loads(entity["ranks"]).items()},
            reported=frozenset(str(k) for k in json.loads(entity["reported"])),
        )
        return row, entity.metadata["etag"]

    def write(self, conversation_ref: str, row: OpenEscalation, tag: Any) -> bool:
        from azure.core import MatchConditions  # noqa: PLC0415
        from azure.core.exceptions import (  # noqa: PLC0415
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )
        from azure.data.tables import UpdateMode  # noqa: PLC0415

        entity = {
            "PartitionKey": CONVERSATION_PARTITION,
            "RowKey": conversation_ref,
            "first_id": row.first_id,
            "since": row.since,
            "ranks": json.dumps(dict(sorted(row.ranks.items()))),
            "reported": json.dumps(sorted(row.reported)),
        }
        try:
            if tag is None:
                self._table.create_entity(entity)
            else:
                self._table.update_entity(
                    entity,
                    mode=UpdateMode.REPLACE,
                    etag=tag,
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            return False
        return True


class FallbackConversations:
    """The table, opened on first use; this process's memory while it cannot be opened."""

    def __init__(self, open_table: Callable[[], ConversationEscalations]) -> None:
        self._open_table = open_table
        self._table: ConversationEscalations | None = None
        self._fallback = MemoryConversations()
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> FallbackConversations:
        def open_table() -> ConversationEscalations:
            client = table_client(settings, settings.escalation_table, timeout_s=2.0)
            ensure_table(client)
            return TableConversations(client)

        return cls(open_table)

    def _current(self) -> ConversationEscalations:
        with self._lock:
            if self._table is None:
                try:
                    self._table = self._open_table()
                except Exception:  # noqa: BLE001 - storage down: degrade, retry on next use
                    log.warning("conversation escalations unavailable; using in-process memory")
                    return self._fallback
            return self._table

    def read(self, conversation_ref: str) -> tuple[OpenEscalation | None, Any]:
        return self._current().read(conversation_ref)

    def write(self, conversation_ref: str, row: OpenEscalation, tag: Any) -> bool:
        return self._current().write(conversation_ref, row, tag)


_ATTEMPTS = 3


def claim_signal(
    store: ConversationEscalations,
    conversation_ref: str,
    signal: Signal,
    *,
    escalation_id: str,
    now: float,
    window_s: float,
) -> Verdict:
    """Decide for ``signal`` and record it, racing other instances through the row's tag.

    A lost race is read again and decided again (the winner's signal may make this one a
    duplicate). Raises when the store fails; the caller escalates anyway."""
    for _ in range(_ATTEMPTS):
        current, tag = store.read(conversation_ref)
        verdict = decide(current, signal, now, window_s)
        if verdict.decision == "duplicate":
            return verdict
        if store.write(conversation_ref, record(current, verdict, signal, escalation_id, now), tag):
            return verdict
    # Still contended: escalate rather than swallow; the row catches up next time.
    current, _ = store.read(conversation_ref)
    return decide(current, signal, now, window_s)
