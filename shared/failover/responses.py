"""Build the ``chat.completion`` body the bot receives, with its ``failover`` report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.failover.plan import EMERGENCY
from shared.models import Attempt, Completion, Usage

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
    # What found the crisis: "patterns" (the detector) or "classifier" (content safety).
    crisis_source: str | None = None
    escalated: bool = False
    simulated: bool = False
    preferred_tier: int = 1
    # The oldest turns were dropped to fit the Durable backend's payload limit
    # (shared.failover.payload).
    trimmed: bool = False

    @property
    def degraded(self) -> bool:
        """True when an ordinary answer did not come from the first tier the policy permits
        (:attr:`~shared.failover.plan.ChatPlan.preferred_tier`): with ``DATA_RESIDENCY=uk``,
        an answer from the first UK tier is not degraded.

        A crisis reply is the intended path for a crisis message, not a degradation.
        """
        return self.tier != self.preferred_tier and not self.crisis


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
            "crisis_source": answer.crisis_source,
            "escalated": answer.escalated,
            "degraded": answer.degraded,
            "simulated": answer.simulated,
            "trimmed": answer.trimmed,
        },
    }


__all__ = ["EMERGENCY", "ChatAnswer", "completion_body", "preapproved"]
