"""A loopback server that plays scripted Server-Sent Event streams in each provider's wire
format, for tests of the streaming adapters through the real SDK clients.

A script is a list of steps: bytes to send, a pause, ``HOLD`` (send nothing more until the
test ends; as the first step, not even the headers) or ``DROP`` (cut the connection in the
middle of the body). The wire builders write the public formats: OpenAI/Azure ``data: {chunk}``
lines ending in ``data: [DONE]``, and Anthropic's named events from ``message_start`` to
``message_stop``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class _Hold:
    """Send nothing more until the server stops."""


class _Drop:
    """Close the connection in the middle of the body."""


HOLD = _Hold()
DROP = _Drop()
Step = bytes | float | _Hold | _Drop


@dataclass
class Recorded:
    """What the adapter sent."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class StreamServer:
    """Serves the OpenAI, Azure OpenAI and Anthropic routes from one script."""

    script: list[Step] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Recorded(request.path, dict(request.headers), json.loads(await request.read()))
        )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        if self.script[:1] == [HOLD]:  # not even the headers
            await self._stopping.wait()
            return response
        await response.prepare(request)
        for step in self.script:
            if isinstance(step, bytes):
                await response.write(step)
            elif isinstance(step, float):
                await asyncio.sleep(step)
            elif isinstance(step, _Hold):
                await self._stopping.wait()
                return response
            else:
                assert request.transport is not None
                request.transport.close()
                return response
        await response.write_eof()
        return response

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self.handle)
        app.router.add_post("/v1/messages", self.handle)
        return app


async def serve() -> AsyncIterator[StreamServer]:
    """A :class:`StreamServer` on a free loopback port, for an async fixture."""
    server = StreamServer()
    runner = web.AppRunner(server.app(), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        server._stopping.set()
        await runner.cleanup()


# --- OpenAI and Azure OpenAI ------------------------------------------------------------------

MODEL = "gpt-4o-mini-2024-07-18"


def data(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def openai_chunk(
    content: str | None = None, *, finish_reason: str | None = None, role: bool = False
) -> bytes:
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if content is not None:
        delta["content"] = content
    return data(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 1_767_000_000,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
    )


def openai_usage(prompt: int, completion: int) -> bytes:
    return data(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 1_767_000_000,
            "model": MODEL,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
    )


def azure_prompt_filter_results() -> bytes:
    """Azure's first chunk: the prompt's filter results, no choices, no model."""
    safe = {"filtered": False, "severity": "safe"}
    return data(
        {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": [
                {
                    "prompt_index": 0,
                    "content_filter_results": {
                        "hate": safe,
                        "self_harm": safe,
                        "sexual": safe,
                        "violence": safe,
                    },
                }
            ],
        }
    )


def openai_answer(words: list[str], *, finish_reason: str = "stop") -> list[Step]:
    """A whole, well-formed stream of ``words``."""
    return [
        openai_chunk("", role=True),
        *(openai_chunk(word) for word in words),
        openai_chunk(finish_reason=finish_reason),
        openai_usage(21, len(words)),
        DONE,
    ]


# --- Anthropic --------------------------------------------------------------------------------

CLAUDE = "claude-test-model"


def event(name: str, payload: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n".encode()


def anthropic_start(input_tokens: int = 30) -> list[Step]:
    return [
        event(
            "message_start",
            {
                "message": {
                    "id": "msg_test",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": CLAUDE,
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": input_tokens, "output_tokens": 1},
                }
            },
        ),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        event("ping", {}),
    ]


def anthropic_text(text: str) -> bytes:
    return event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}})


def anthropic_end(stop_reason: str = "end_turn", output_tokens: int = 5) -> list[Step]:
    return [
        event("content_block_stop", {"index": 0}),
        event(
            "message_delta",
            {
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        ),
        event("message_stop", {}),
    ]


def anthropic_answer(words: list[str], *, stop_reason: str = "end_turn") -> list[Step]:
    return [
        *anthropic_start(),
        *(anthropic_text(word) for word in words),
        *anthropic_end(stop_reason, len(words)),
    ]
