"""Build the ``chat.completion`` body the bot receives, with its ``failover`` report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.failover.plan import EMERGENCY, Attempt
from shared.models import Completion, Usage

EMERGENCY_MODEL = "askeve-emergency"
CRISIS_MODEL = "askeve-crisis"


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    """What the gateway answers, whichever path produced it."""

    completion: Completion
    tier: int
    provider: str
    attempts: tuple[Attempt, ...] = ()
    crisis: bool = False
    crisis_category: str | None = None
    escalated: bool = False
    simulated: bool = False

    @property
    def degraded(self) -> bool:
        """True when an ordinary answer did not come from tier 1.

        A crisis reply is the intended path for a crisis message, not a degradation.
        """
        return self.tier != 1 and not self.crisis


def preapproved(text: str, *, crisis: bool) -> Completion:
    """A completion carrying configured, pre-approved text (never LLM output)."""
    return Completion(
        text=text,
        finish_reason="stop",
        model=CRISIS_MODEL if crisis else EMERGENCY_MODEL,
        usage=Usage(),
    )


def completion_body(answer: ChatAnswer, *, completion_id: str, created: int) -> dict[str, Any]:
    """The OpenAI ``chat.completion`` object, plus the gateway's ``failover`` object."""
    usage = answer.completion.usage
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": answer.completion.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.completion.text},
                "finish_reason": answer.completion.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
        "failover": {
            "tier": answer.tier,
            "provider": answer.provider,
            "attempts": [a.to_json() for a in answer.attempts],
            "crisis": answer.crisis,
            "crisis_category": answer.crisis_category,
            "escalated": answer.escalated,
            "degraded": answer.degraded,
            "simulated": answer.simulated,
        },
    }


__all__ = ["EMERGENCY", "ChatAnswer", "completion_body", "preapproved"]
