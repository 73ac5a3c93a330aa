"""Activity results and escalations that several orchestration tests replay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.escalation.model import Escalation


def provider_ok(provider: str, ms: float = 120.0) -> dict[str, Any]:
    """A ``call_provider`` result: ``provider`` answered."""
    return {
        "outcome": "ok",
        "completion": {
            "text": f"answer from {provider}",
            "finish_reason": "stop",
            "model": f"{provider}-model",
            "usage": {"prompt_tokens": 10, "completion_tokens": 5},
        },
        "ms": ms,
    }


def crisis_escalation(created_at: datetime) -> Escalation:
    """A self-harm crisis escalation, as the chat trigger raises it."""
    return Escalation(
        id="esc-" + "a" * 32,
        audience="clinical",
        kind="crisis",
        title="Ask Eve crisis message: self harm",
        created_at=created_at.isoformat(),
        category="self_harm",
        signals=("suicidal_ideation",),
        conversation_ref="ref-0123456789abcdef0123",
        callback_required=True,
    )
