"""The providers' streamed wire formats: server-sent events, as bytes, built by pure methods.

A stream is told in four parts, so that a fault can leave out the last ones:

- ``opening``: OpenAI's first chunk (``delta.role``; on Azure OpenAI after the chunk with the
  prompt's ``prompt_filter_results``); Anthropic's ``message_start``, ``content_block_start``
  and ``ping``;
- one ``token`` event per token (a ``delta.content`` chunk; a ``content_block_delta`` with a
  ``text_delta``);
- ``ending``: what closes the answer short of its final event (nothing for OpenAI, whose
  final event is the ``finish_reason`` chunk; Anthropic's ``content_block_stop`` and
  ``message_delta`` with ``stop_reason`` and ``usage.output_tokens``);
- ``final``: OpenAI's ``finish_reason`` chunk, the usage chunk (``choices: []``) when the
  request set ``stream_options.include_usage``, and ``data: [DONE]``; Anthropic's
  ``message_stop``.

``error`` is the event a provider sends when it fails after the stream has begun: Anthropic's
``event: error``, OpenAI's ``data: {"error": ...}`` (both SDKs raise on it).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from simulators.wire import estimate_tokens

_SAFE = {"filtered": False, "severity": "safe"}


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    """One server-sent event."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


class StreamFormat(Protocol):
    """One provider's stream, for one request."""

    def opening(self) -> bytes: ...
    def token(self, text: str) -> bytes: ...
    def ending(self, stop: str, output_tokens: int) -> bytes: ...
    def final(self, stop: str, output_tokens: int) -> bytes: ...
    def filtered(self) -> bytes: ...
    def error(self) -> bytes: ...


class OpenAIStream:
    """``chat.completion.chunk`` events, as OpenAI (or, with ``azure``, Azure OpenAI) sends."""

    def __init__(
        self, body: dict[str, Any], *, response_id: str, created: int, azure: bool = False
    ) -> None:
        self._body = body
        self._id = response_id
        self._created = created
        self._azure = azure
        options = body.get("stream_options")
        self._usage = isinstance(options, dict) and options.get("include_usage") is True

    def _chunk(
        self,
        delta: dict[str, Any],
        finish: str | None = None,
        filter_results: dict[str, Any] | None = None,
    ) -> bytes:
        choice: dict[str, Any] = {
            "index": 0,
            "delta": delta,
            "logprobs": None,
            "finish_reason": finish,
        }
        if self._azure:
            choice["content_filter_results"] = filter_results or {}
        chunk: dict[str, Any] = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": str(self._body.get("model") or "simulated"),
            "system_fingerprint": "fp_simulated",
            "choices": [choice],
        }
        if self._usage:
            chunk["usage"] = None
        return sse(chunk)

    def opening(self) -> bytes:
        role = self._chunk({"role": "assistant", "content": "", "refusal": None})
        if not self._azure:
            return role
        # Azure first reports on the prompt, in a chunk with no choices and no identity.
        prompt = {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": [
                {
                    "prompt_index": 0,
                    "content_filter_results": dict.fromkeys(("hate", "sexual"), _SAFE),
                }
            ],
        }
        return sse(prompt) + role

    def token(self, text: str) -> bytes:
        safe = dict.fromkeys(("hate", "self_harm", "sexual", "violence"), _SAFE)
        return self._chunk({"content": text}, filter_results=safe)

    def ending(self, stop: str, output_tokens: int) -> bytes:
        del stop, output_tokens  # the finish_reason chunk is OpenAI's final event
        return b""

    def final(self, stop: str, output_tokens: int) -> bytes:
        return self._chunk({}, finish=stop) + self._tail(output_tokens)

    def filtered(self) -> bytes:
        results = dict.fromkeys(("hate", "sexual", "violence"), _SAFE)
        results["self_harm"] = {"filtered": True, "severity": "medium"}
        chunk = self._chunk({}, finish="content_filter", filter_results=results)
        return self.opening() + chunk + self._tail(0)

    def error(self) -> bytes:
        return sse(
            {
                "error": {
                    "message": "Simulated error: the server had an error while streaming.",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            }
        )

    def _tail(self, output_tokens: int) -> bytes:
        tail = b""
        if self._usage:
            prompt_tokens = estimate_tokens(self._body)
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": prompt_tokens + output_tokens,
            }
            tail += sse(
                {
                    "id": self._id,
                    "object": "chat.completion.chunk",
                    "created": self._created,
                    "model": str(self._body.get("model") or "simulated"),
                    "system_fingerprint": "fp_simulated",
                    "choices": [],
                    "usage": usage,
                }
            )
        return tail + sse("[DONE]")


class AnthropicStream:
    """Messages-API stream events, as Anthropic sends them."""

    def __init__(self, body: dict[str, Any], *, response_id: str) -> None:
        self._body = body
        self._id = response_id

    def _start(self) -> bytes:
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": str(self._body.get("model") or "simulated"),
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": estimate_tokens(self._body), "output_tokens": 1},
        }
        return sse({"type": "message_start", "message": message}, "message_start")

    def opening(self) -> bytes:
        block = {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }
        return self._start() + sse(block, "content_block_start") + sse({"type": "ping"}, "ping")

    def token(self, text: str) -> bytes:
        delta = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": text},
        }
        return sse(delta, "content_block_delta")

    def ending(self, stop: str, output_tokens: int) -> bytes:
        return sse({"type": "content_block_stop", "index": 0}, "content_block_stop") + (
            self._delta(stop, output_tokens)
        )

    def final(self, stop: str, output_tokens: int) -> bytes:
        del stop, output_tokens
        return sse({"type": "message_stop"}, "message_stop")

    def filtered(self) -> bytes:
        # A refusal carries no content block, as the non-streamed refusal has no content.
        return (
            self._start()
            + sse({"type": "ping"}, "ping")
            + self._delta("refusal", 0)
            + self.final("refusal", 0)
        )

    def error(self) -> bytes:
        return sse(
            {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Simulated overloaded_error."},
            },
            "error",
        )

    def _delta(self, stop: str, output_tokens: int) -> bytes:
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        }
        return sse(delta, "message_delta")
