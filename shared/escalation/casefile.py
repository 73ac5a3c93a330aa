"""What the nurse view shows about one crisis escalation: its case row.

The case row is written once, when the escalation starts, into the escalation's own partition
of the escalations table (RowKey ``case``), so it lives and goes with that escalation's audit
rows. It always holds what the alert itself carries (category, signals, time, conversation
reference) and how many turns the conversation had. It holds the text of the last turns only
when the deploying organisation has turned ``ESCALATION_SHOW_MESSAGES`` on; then the text is in
this row and nowhere else the gateway writes (never in the orchestration input, the logs or
telemetry). Turns are kept as the person and the assistant wrote them, clipped: the view is for
a nurse to act on, and what a person said about how to reach them is part of that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

CASE_ROW = "case"
# The last turns the view shows, and the most of each turn that is kept.
VIEW_TURNS = 6
TURN_MAX_CHARS = 1000

Role = Literal["user", "assistant"]
# Outcomes a nurse records on the view, as the status page and the hazard log count them.
OUTCOMES: tuple[str, ...] = ("contacted", "could_not_contact", "not_a_crisis", "handed_to_999")


@dataclass(frozen=True, slots=True)
class Turn:
    role: Role
    text: str


@dataclass(frozen=True, slots=True, repr=False)
class CaseFile:
    """One escalation as the nurse view shows it. ``repr`` is suppressed: it may hold text."""

    escalation_id: str
    category: str
    signals: tuple[str, ...]
    created_at: str
    conversation_ref: str | None
    turns: int
    messages: tuple[Turn, ...] = ()

    def __repr__(self) -> str:
        return f"CaseFile({self.escalation_id}, turns={self.turns}, <text redacted>)"

    def to_row(self) -> dict[str, Any]:
        """The table properties (keys apart); ``messages`` only when there are any."""
        row: dict[str, Any] = {
            "category": self.category,
            "signals": ",".join(self.signals),
            "created_at": self.created_at,
            "conversation_ref": self.conversation_ref,
            "turns": self.turns,
        }
        if self.messages:
            pairs = [[t.role, t.text] for t in self.messages]
            row["messages"] = json.dumps(pairs, ensure_ascii=False)
        return row

    def to_json(self) -> dict[str, Any]:
        """The case as another region's view receives it (the token is the credential)."""
        return {
            "category": self.category,
            "signals": list(self.signals),
            "created_at": self.created_at,
            "conversation_ref": self.conversation_ref,
            "turns": self.turns,
            "messages": [[t.role, t.text] for t in self.messages],
        }

    @classmethod
    def from_json(cls, escalation_id: str, data: object) -> CaseFile | None:
        """The case in another region's answer, or None for anything malformed."""
        if not isinstance(data, dict):
            return None
        try:
            return cls.from_row(
                escalation_id,
                {
                    **data,
                    "signals": ",".join(str(s) for s in data.get("signals") or []),
                    "messages": json.dumps(data.get("messages") or []),
                },
            )
        except (TypeError, ValueError):
            return None

    @classmethod
    def from_row(cls, escalation_id: str, row: Mapping[str, Any]) -> CaseFile:
        raw = row.get("messages")
        pairs = json.loads(raw) if isinstance(raw, str) and raw else []
        return cls(
            escalation_id=escalation_id,
            category=str(row.get("category") or ""),
            signals=tuple(s for s in str(row.get("signals") or "").split(",") if s),
            created_at=str(row.get("created_at") or ""),
            conversation_ref=row.get("conversation_ref") or None,
            turns=int(row.get("turns") or 0),
            messages=tuple(
                Turn("assistant" if role == "assistant" else "user", str(text))
                for role, text in pairs
            ),
        )


def case_file(
    *,
    escalation_id: str,
    category: str,
    signals: Sequence[str],
    created_at: str,
    conversation_ref: str | None,
    transcript: Sequence[tuple[str, str]],
    show_messages: bool,
) -> CaseFile:
    """The case of a new escalation: the text of its last turns only with ``show_messages``.
    ``transcript`` is the conversation as (role, text), system turns already left out."""
    turns = [(role, text) for role, text in transcript if role in ("user", "assistant")]
    kept = (
        tuple(
            Turn("assistant" if role == "assistant" else "user", text[:TURN_MAX_CHARS])
            for role, text in turns[-VIEW_TURNS:]
        )
        if show_messages
        else ()
    )
    return CaseFile(
        escalation_id=escalation_id,
        category=category,
        signals=tuple(signals),
        created_at=created_at,
        conversation_ref=conversation_ref,
        turns=len(turns),
        messages=kept,
    )
