"""Successful responses normalised into a :class:`~shared.models.ProviderResult`.

These read SDK response objects or plain JSON alike, defensively: a 200 whose body lacks the
answer (no choices, no content, empty text) is a provider fault, not an answer, and a content
filter's verdict is its own outcome. The text is never put into ``detail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.models import Completion, Outcome, ProviderResult, Usage

_ANTHROPIC_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


def _get(value: object, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, key, None)


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _malformed(what: str) -> ProviderResult:
    return ProviderResult(Outcome.UNAVAILABLE, detail=f"malformed response: {what}")


def _completed(
    text: object, finish_reason: str, model: object, usage: Usage, fallback: str
) -> ProviderResult:
    if not isinstance(text, str) or not text.strip():
        return _malformed("empty answer")
    name = model if isinstance(model, str) and model else fallback
    completion = Completion(text=text, finish_reason=finish_reason, model=name, usage=usage)
    return ProviderResult(Outcome.OK, completion=completion)


def openai_result(response: object, fallback_model: str) -> ProviderResult:
    """A chat completion (OpenAI or Azure OpenAI) as a result."""
    choices = _get(response, "choices")
    if not isinstance(choices, list | tuple) or not choices:
        return _malformed("no choices")
    choice = choices[0]
    finish_reason = _get(choice, "finish_reason")
    if finish_reason == "content_filter":
        return ProviderResult(Outcome.CONTENT_FILTERED, detail="finish_reason content_filter")
    usage = _get(response, "usage")
    return _completed(
        _get(_get(choice, "message"), "content"),
        finish_reason if isinstance(finish_reason, str) else "unknown",
        _get(response, "model"),
        Usage(_count(_get(usage, "prompt_tokens")), _count(_get(usage, "completion_tokens"))),
        fallback_model,
    )


def anthropic_result(response: object, fallback_model: str) -> ProviderResult:
    """An Anthropic message as a result."""
    stop_reason = _get(response, "stop_reason")
    if stop_reason == "refusal":
        return ProviderResult(Outcome.CONTENT_FILTERED, detail="stop_reason refusal")
    blocks = _get(response, "content")
    if not isinstance(blocks, list | tuple):
        return _malformed("no content")
    texts = [_get(b, "text") for b in blocks if _get(b, "type") == "text"]
    text = "".join(t for t in texts if isinstance(t, str))
    usage = _get(response, "usage")
    reason = stop_reason if isinstance(stop_reason, str) else "unknown"
    return _completed(
        text,
        _ANTHROPIC_FINISH.get(reason, reason),
        _get(response, "model"),
        Usage(_count(_get(usage, "input_tokens")), _count(_get(usage, "output_tokens"))),
        fallback_model,
    )
