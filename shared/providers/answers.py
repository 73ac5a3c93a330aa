"""Streamed answers normalised into a :class:`~shared.models.ProviderResult`.

:class:`OpenAIStreamAnswer` (OpenAI and Azure OpenAI chunks) and :class:`AnthropicStreamAnswer`
(Messages events) gather a stream (read by :mod:`shared.providers.streams`) into one result.
They read SDK event objects or plain JSON alike, defensively: a stream that ends without its
final event (no ``finish_reason``; no ``message_stop``) was cut off, so it is ``unavailable``
and its partial text is dropped; a finished stream without usable text is a provider fault,
not an answer; and a content filter's verdict is its own outcome. The text is never put into
``detail``.
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


class OpenAIStreamAnswer:
    """A streamed chat completion (OpenAI or Azure OpenAI), chunk by chunk."""

    def __init__(self, fallback_model: str) -> None:
        self._fallback_model = fallback_model
        self._parts: list[str] = []
        self._finish_reason: str | None = None
        self._model: object = None
        self._usage = Usage()

    def add(self, chunk: object) -> bool:
        """Take one chunk; True when it carried answer text."""
        model = _get(chunk, "model")
        if isinstance(model, str) and model:
            self._model = model
        usage = _get(chunk, "usage")
        if usage is not None:  # the last chunk, asked for with stream_options.include_usage
            self._usage = Usage(
                _count(_get(usage, "prompt_tokens")), _count(_get(usage, "completion_tokens"))
            )
        choices = _get(chunk, "choices")
        # Azure opens with a chunk of prompt-filter results and no choices; usage has none.
        if not isinstance(choices, list | tuple) or not choices:
            return False
        choice = choices[0]
        finish_reason = _get(choice, "finish_reason")
        if isinstance(finish_reason, str) and finish_reason:
            self._finish_reason = finish_reason
        content = _get(_get(choice, "delta"), "content")
        if isinstance(content, str) and content:
            self._parts.append(content)
            return True
        return False

    def result(self) -> ProviderResult:
        if self._finish_reason is None:
            return ProviderResult(Outcome.UNAVAILABLE, detail="stream ended without finish_reason")
        if self._finish_reason == "content_filter":
            return ProviderResult(Outcome.CONTENT_FILTERED, detail="finish_reason content_filter")
        return _completed(
            "".join(self._parts),
            self._finish_reason,
            self._model,
            self._usage,
            self._fallback_model,
        )


class AnthropicStreamAnswer:
    """A streamed Anthropic message, event by event."""

    def __init__(self, fallback_model: str) -> None:
        self._fallback_model = fallback_model
        self._parts: list[str] = []
        self._stop_reason: object = None
        self._stopped = False
        self._model: object = None
        self._input_tokens = 0
        self._output_tokens = 0

    def add(self, event: object) -> bool:
        """Take one event; True when it carried answer text."""
        kind = _get(event, "type")
        if kind == "message_start":
            message = _get(event, "message")
            self._model = _get(message, "model")
            self._take_usage(_get(message, "usage"))
        elif kind == "content_block_delta":
            delta = _get(event, "delta")
            text = _get(delta, "text")
            if _get(delta, "type") == "text_delta" and isinstance(text, str) and text:
                self._parts.append(text)
                return True
        elif kind == "message_delta":
            self._stop_reason = _get(_get(event, "delta"), "stop_reason")
            self._take_usage(_get(event, "usage"))
        elif kind == "message_stop":
            self._stopped = True
        return False

    def _take_usage(self, usage: object) -> None:
        # message_start carries the input count; message_delta the cumulative output count.
        self._input_tokens = _count(_get(usage, "input_tokens")) or self._input_tokens
        self._output_tokens = _count(_get(usage, "output_tokens")) or self._output_tokens

    def result(self) -> ProviderResult:
        if not self._stopped:
            return ProviderResult(Outcome.UNAVAILABLE, detail="stream ended without message_stop")
        if self._stop_reason == "refusal":
            return ProviderResult(Outcome.CONTENT_FILTERED, detail="stop_reason refusal")
        reason = self._stop_reason if isinstance(self._stop_reason, str) else "unknown"
        return _completed(
            "".join(self._parts),
            _ANTHROPIC_FINISH.get(reason, reason),
            self._model,
            Usage(self._input_tokens, self._output_tokens),
            self._fallback_model,
        )
