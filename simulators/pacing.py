"""How fast a simulated model writes: time to first token, tokens per second, answer length.

A :class:`Pacing` is a frozen value. Each provider has a default pacing (instant unless told
otherwise); a fault of kind ``ok``, ``stall``, ``drop`` or ``no_final`` may override any of its
three numbers (:func:`effective`).

**Tokens.** The simulator splits an answer into words, each with the whitespace that follows
it (:func:`answer_tokens`): joined back, they give the text exactly. Real tokenisers cut
closer to four characters; words keep the streamed deltas readable and the arithmetic plain.
An answer asked to be longer than its text repeats the text's words from the start, and a
shorter one stops after its first words, so the same settings always give the same text.

**Timing.** Token ``i`` (from 0) is due ``first_token_ms + i / tokens_per_s`` after the
response starts (:func:`due_s`); a non-streamed answer is sent whole when its last token is
due. ``tokens_per_s == 0`` means no pacing: every token at once.

**Realistic figures** (:data:`REALISTIC`, which ``make run`` uses), public measurements,
rounded:

- gpt-4o-mini (OpenAI, and the same model deployed on Azure OpenAI): about 0.4 s to first
  token (apikeyhealth.com, "The Latency Trade-off: gpt-4o-mini vs. gpt-4o", ~0.4 s TTFT) and
  about 60 tokens/s, 46-70 over 500-token answers (community.openai.com thread "Inference
  speed of different models", measured with ``tacho``); Artificial Analysis has listed it
  faster. Chosen: 400 ms, 70 tokens/s.
- Claude Sonnet (Anthropic): slower to start and to write: Artificial Analysis measured
  Claude 3.5 Sonnet on Anthropic's API at 0.8 s to first token and 64 tokens/s
  (artificialanalysis.ai/models/claude-35-sonnet/providers), and later Sonnets at 1.2-1.8 s
  and about 63 tokens/s (bridgebench.ai speedbench, claude-sonnet-4-6; Artificial Analysis
  for Sonnet 4.5). Chosen: 1000 ms, 55 tokens/s.
- A complete Ask Eve answer: a few short paragraphs, 200-400 tokens (about 150-300 words at
  OpenAI's rule of thumb of 0.75 words a token). Chosen: 300 tokens.

So a realistic answer takes about 4.7 s from OpenAI or Azure and 6.5 s from Anthropic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.faults import Fault, ProviderName

PACING_FIELDS = ("first_token_ms", "tokens_per_s", "answer_tokens")


def check_pacing(first_token_ms: int, tokens_per_s: float, answer_tokens: int | None) -> None:
    """Raise ValueError naming the first pacing number that is out of range."""
    if first_token_ms < 0:
        raise ValueError("first_token_ms must not be negative")
    if not math.isfinite(tokens_per_s) or tokens_per_s < 0:
        raise ValueError("tokens_per_s must be a finite number, 0 or more")
    if answer_tokens is not None and answer_tokens < 1:
        raise ValueError("answer_tokens must be at least 1")


@dataclass(frozen=True, slots=True)
class Pacing:
    """Time to first token (ms), tokens per second (0: no pacing) and answer length in tokens
    (None: the answer text's own length)."""

    first_token_ms: int = 0
    tokens_per_s: float = 0
    answer_tokens: int | None = None

    def __post_init__(self) -> None:
        check_pacing(self.first_token_ms, self.tokens_per_s, self.answer_tokens)

    def to_json(self) -> dict[str, Any]:
        return {
            "first_token_ms": self.first_token_ms,
            "tokens_per_s": self.tokens_per_s,
            "answer_tokens": self.answer_tokens,
        }

    @classmethod
    def from_json(cls, data: object) -> Pacing:
        """Parse a control-API pacing; unknown fields and wrong types are rejected."""
        if not isinstance(data, dict):
            raise ValueError("pacing must be a JSON object")  # noqa: TRY004 - a bad request
        unknown = set(data) - set(PACING_FIELDS)
        if unknown:
            raise ValueError(f"unknown pacing fields: {', '.join(sorted(unknown))}")
        return cls(**pacing_fields(data))


INSTANT = Pacing()

REALISTIC: Mapping[ProviderName, Pacing] = MappingProxyType(
    {
        "openai": Pacing(first_token_ms=400, tokens_per_s=70, answer_tokens=300),
        "azure_openai": Pacing(first_token_ms=400, tokens_per_s=70, answer_tokens=300),
        "anthropic": Pacing(first_token_ms=1000, tokens_per_s=55, answer_tokens=300),
    }
)


def pacing_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The pacing numbers present in a JSON object, type-checked."""
    fields: dict[str, Any] = {}
    for key in ("first_token_ms", "answer_tokens"):
        value = data.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{key} must be an integer")
            fields[key] = value
    rate = data.get("tokens_per_s")
    if rate is not None:
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise ValueError("tokens_per_s must be a number")
        fields["tokens_per_s"] = float(rate)
    return fields


def effective(default: Pacing, fault: Fault | None) -> Pacing:
    """``default`` with whatever pacing numbers ``fault`` sets (non-zero, not None)."""
    if fault is None:
        return default
    return Pacing(
        first_token_ms=fault.first_token_ms or default.first_token_ms,
        tokens_per_s=fault.tokens_per_s or default.tokens_per_s,
        answer_tokens=(
            default.answer_tokens if fault.answer_tokens is None else fault.answer_tokens
        ),
    )


_WORD = re.compile(r"\s*\S+\s*")


def answer_tokens(text: str, count: int | None = None) -> list[str]:
    """``text`` as word tokens, cut or extended (by repeating its words) to ``count``."""
    words = _WORD.findall(text) or [text]
    if count is None or count == len(words):
        return words
    if count < len(words):
        return words[:count]
    # The last word usually has no trailing space; a repetition needs one before it.
    cycle = [*words[:-1], words[-1] if words[-1][-1:].isspace() else words[-1] + " "]
    extended = [cycle[i % len(cycle)] for i in range(count)]
    extended[-1] = extended[-1].rstrip() or extended[-1]
    return extended


def due_s(pacing: Pacing, index: int) -> float:
    """Seconds after the response starts at which token ``index`` (from 0) is due."""
    first = pacing.first_token_ms / 1000
    return first if pacing.tokens_per_s == 0 else first + index / pacing.tokens_per_s
