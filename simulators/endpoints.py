"""The HTTP endpoints of the three simulated providers (aiohttp applications).

Each request is counted and recorded, then answered according to the provider's current fault:
late, never, with an error status, with a broken body, with a content-filter result, or
normally. Without a fault the endpoint checks credentials and the request shape like the real
API does, so a bad translation fails loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from aiohttp import web

from simulators import triage, validation, wire
from simulators.faults import ANSWERING, Fault, FaultKind, ProviderName
from simulators.pacing import Pacing, answer_tokens, due_s, effective
from simulators.state import ProviderState, RecordedRequest
from simulators.streams import AnthropicStream, OpenAIStream, StreamFormat

_REQUEST_ID_HEADER: dict[ProviderName, str] = {
    "openai": "x-request-id",
    "azure_openai": "apim-request-id",
    "anthropic": "request-id",
}


def _bearer(request: web.Request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def auth_scheme(provider: ProviderName, request: web.Request) -> str:
    """The credential scheme a request used, or ``none``."""
    if provider == "azure_openai" and request.headers.get("api-key", "").strip():
        return "api-key"
    if provider == "anthropic" and request.headers.get("x-api-key", "").strip():
        return "x-api-key"
    return "bearer" if _bearer(request) else "none"


def key_id(credential: str) -> str:
    """A short fingerprint of a credential: enough to tell two keys apart, useless as a key."""
    return hashlib.sha256(credential.encode()).hexdigest()[:12] if credential else ""


def _credential(provider: ProviderName, request: web.Request) -> str:
    scheme = auth_scheme(provider, request)
    if scheme in {"api-key", "x-api-key"}:
        return request.headers.get(scheme, "").strip()
    if scheme == "bearer":
        return request.headers.get("Authorization", "").partition(" ")[2].strip()
    return ""


class _Streaming(NamedTuple):
    """What a streamed answer is: its fault, pacing, tokens and stop reason, and the event
    that a change of fault sets (taken when the request arrived, so none is missed)."""

    fault: Fault | None
    pacing: Pacing
    tokens: list[str]
    finish: str
    released: asyncio.Event


class ProviderEndpoint:
    """Serves one provider's API from its :class:`ProviderState`."""

    def __init__(
        self,
        provider: ProviderName,
        state: ProviderState,
        stopping: asyncio.Event,
        clock: Callable[[], float],
    ) -> None:
        self.provider = provider
        self.state = state
        self._stopping = stopping
        self._clock = clock
        self._serial = itertools.count(1)

    def app(self) -> web.Application:
        app = web.Application()
        if self.provider == "openai":
            app.router.add_post("/v1/chat/completions", self.handle)
        elif self.provider == "azure_openai":
            app.router.add_post("/openai/deployments/{deployment}/chat/completions", self.handle)
        else:
            app.router.add_post("/v1/messages", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = _json_object(raw)
        streamed = body is not None and body.get("stream") is True
        fault = self.state.receive(
            RecordedRequest(
                path=request.path,
                query=dict(request.query),
                auth=auth_scheme(self.provider, request),
                body=body,
                key_id=key_id(_credential(self.provider, request)),
                host=request.host,
                stream=streamed,
            )
        )
        released = self.state.released
        serial = next(self._serial)
        headers = _fault_headers(fault)
        headers[_REQUEST_ID_HEADER[self.provider]] = f"req_sim{serial:06d}"
        kind = FaultKind.OK if fault is None else fault.kind
        if kind is FaultKind.HANG or (kind is FaultKind.STALL and not streamed):
            await self._hold(released)
            if self._stopping.is_set():
                return self._error(503, headers)
            fault, kind = None, FaultKind.OK  # released by a change of fault: answer normally
        elif fault is not None and fault.latency_ms:
            await self._pause(fault.latency_ms / 1000)
        if kind is FaultKind.CONTENT_FILTER and streamed:
            stream = self._stream_format(body or {}, serial)
            return await self._send_filtered(request, stream, headers)
        if kind not in ANSWERING or (kind is FaultKind.NO_FINAL and not streamed):
            assert fault is not None  # noqa: S101 - OK is answering
            return self._faulted(fault, body or {}, serial, headers)
        return await self._respond(
            request, body, fault, serial, headers, streamed=streamed, released=released
        )

    async def _respond(
        self,
        request: web.Request,
        body: dict[str, Any] | None,
        fault: Fault | None,
        serial: int,
        headers: dict[str, str],
        *,
        streamed: bool,
        released: asyncio.Event,
    ) -> web.StreamResponse:
        """Answer (streamed or not, paced, perhaps cut short), if the request is acceptable."""
        kind = FaultKind.OK if fault is None else fault.kind
        checked = self._checked(request, body, headers)
        if isinstance(checked, web.Response):
            return checked
        if not streamed and triage.is_triage(self.provider, checked):
            return await self._triage(checked, serial, headers)
        pacing = effective(self.state.pacing, fault)
        text = wire.default_answer(self.provider)
        if fault is not None and fault.answer is not None:
            text = fault.answer
        tokens, stop = self._cut(checked, answer_tokens(text, pacing.answer_tokens))
        if streamed:
            streaming = _Streaming(fault, pacing, tokens, stop, released)
            return await self._stream(request, checked, serial, headers, streaming)
        # A non-streamed answer is sent whole when its last token is due.
        await self._pause(due_s(pacing, len(tokens) - 1))
        answer = self._answer(checked, "".join(tokens), serial, stop=stop, output=len(tokens))
        if kind is FaultKind.DROP:
            return await self._send_cut_short(request, answer, headers)
        return web.json_response(answer, headers=headers)

    async def _triage(
        self, body: dict[str, Any], serial: int, headers: dict[str, str]
    ) -> web.Response:
        """A crisis-triage request, answered by the rule in :mod:`simulators.triage`."""
        self.state.triage_requests += 1
        problem = triage.schema_problem(self.provider, body)
        if problem is not None:
            return self._error(400, headers, problem)
        answer = triage.answer_for(self.provider, body)
        if await self._pause(answer.delay_s):
            return self._error(503, headers)
        prefix = "msg_sim" if self.provider == "anthropic" else "chatcmpl-sim"
        return web.json_response(
            triage.structured_body(
                self.provider,
                body,
                answer.payload,
                response_id=f"{prefix}{serial:06d}",
                created=int(self._clock()),
            ),
            headers=headers,
        )

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` (0: not at all); True if the simulator began stopping meanwhile."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    def _cut(self, body: dict[str, Any], tokens: list[str]) -> tuple[list[str], str]:
        """The tokens the request's ``max_tokens`` lets through, and the stop reason."""
        limit = body.get("max_tokens")
        if limit is None:
            limit = body.get("max_completion_tokens")
        natural = "end_turn" if self.provider == "anthropic" else "stop"
        if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < len(tokens):
            return tokens[:limit], "max_tokens" if self.provider == "anthropic" else "length"
        return tokens, natural

    def _stream_format(self, body: dict[str, Any], serial: int) -> StreamFormat:
        if self.provider == "anthropic":
            return AnthropicStream(body, response_id=f"msg_sim{serial:06d}")
        return OpenAIStream(
            body,
            response_id=f"chatcmpl-sim{serial:06d}",
            created=int(self._clock()),
            azure=self.provider == "azure_openai",
        )

    async def _open_stream(
        self, request: web.Request, headers: dict[str, str]
    ) -> web.StreamResponse:
        """Send the headers of an event stream at once; the events follow as they are due."""
        response = web.StreamResponse(
            headers={**headers, "Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        return response

    async def _send_filtered(
        self, request: web.Request, stream: StreamFormat, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = await self._open_stream(request, headers)
        with contextlib.suppress(ConnectionResetError):
            await response.write(stream.filtered())
            await response.write_eof()
        return response

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        serial: int,
        headers: dict[str, str],
        streaming: _Streaming,
    ) -> web.StreamResponse:
        """Stream the answer's tokens as they fall due, ending as the fault says."""
        fault, pacing, tokens, finish, released = streaming
        kind = FaultKind.OK if fault is None else fault.kind
        strike = _strike_after(fault, len(tokens))
        stream = self._stream_format(body, serial)
        response = await self._open_stream(request, headers)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            if await self._pause(pacing.first_token_ms / 1000):
                await response.write(stream.error())
                return response
            await response.write(stream.opening())
            if not await self._send_tokens(response, stream, tokens[:strike], pacing, started):
                return response
            if kind is FaultKind.DROP:
                # Abruptly: the transport closes without the chunked body's end.
                if request.transport is not None:
                    request.transport.close()
                return response
            if kind is FaultKind.STALL:
                await self._hold(released)
                if self._stopping.is_set():
                    await response.write(stream.error())
                    return response
                # Released by a change of fault: the rest follows at the same pace, from now.
                resumed = loop.time() - due_s(pacing, strike)
                rest = tokens[strike:]
                if not await self._send_tokens(
                    response, stream, rest, pacing, resumed, first_index=strike
                ):
                    return response
            await response.write(stream.ending(finish, len(tokens)))
            if kind is not FaultKind.NO_FINAL:
                await response.write(stream.final(finish, len(tokens)))
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client went away; nothing is left to tell it
        return response

    async def _send_tokens(
        self,
        response: web.StreamResponse,
        stream: StreamFormat,
        tokens: list[str],
        pacing: Pacing,
        started: float,
        *,
        first_index: int = 0,
    ) -> bool:
        """Write each token when it falls due; False (after an error event) if stopping."""
        loop = asyncio.get_running_loop()
        for index, token in enumerate(tokens, start=first_index):
            if await self._pause(started + due_s(pacing, index) - loop.time()):
                await response.write(stream.error())
                return False
            await response.write(stream.token(token))
        return True

    async def _send_cut_short(
        self, request: web.Request, answer: dict[str, Any], headers: dict[str, str]
    ) -> web.StreamResponse:
        """Declare the whole body's length, send half of it, and close the connection."""
        data = json.dumps(answer).encode()
        response = web.StreamResponse(headers={**headers, "Content-Type": "application/json"})
        response.content_length = len(data)
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):
            await response.write(data[: len(data) // 2])
        if request.transport is not None:
            request.transport.close()
        return response

    async def _hold(self, released: asyncio.Event) -> None:
        """Wait until ``released`` is set (the fault changed) or the simulator stops."""
        waiters = [
            asyncio.ensure_future(released.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        ]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    def _checked(
        self, request: web.Request, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> web.Response | dict[str, Any]:
        """The body if the real API would accept the request, else its error response."""
        if self.provider == "azure_openai" and "api-version" not in request.query:
            return self._error(404, headers, "Resource not found")
        if auth_scheme(self.provider, request) == "none":
            return self._error(401, headers)
        if self.provider == "anthropic" and not request.headers.get("anthropic-version"):
            return self._error(400, headers, "anthropic-version: header is required")
        if body is None:
            return self._error(400, headers, "We could not parse the JSON body of your request.")
        problem = (
            validation.anthropic_problem(body)
            if self.provider == "anthropic"
            else validation.openai_problem(body)
        )
        return body if problem is None else self._error(400, headers, problem)

    def _answer(
        self,
        body: dict[str, Any],
        text: str | None,
        serial: int,
        *,
        filtered: bool = False,
        stop: str | None = None,
        output: int | None = None,
    ) -> dict[str, Any]:
        if self.provider == "anthropic":
            return wire.anthropic_answer(
                body,
                text,
                response_id=f"msg_sim{serial:06d}",
                stop_reason="refusal" if filtered else stop or "end_turn",
                output_tokens=output,
            )
        return wire.openai_answer(
            body,
            text,
            response_id=f"chatcmpl-sim{serial:06d}",
            created=int(self._clock()),
            finish_reason="content_filter" if filtered else stop or "stop",
            azure=self.provider == "azure_openai",
            output_tokens=output,
        )

    def _faulted(
        self, fault: Fault, body: dict[str, Any], serial: int, headers: dict[str, str]
    ) -> web.Response:
        kind = fault.kind
        if kind is FaultKind.STATUS:
            assert fault.status is not None  # noqa: S101 - guaranteed by Fault
            return self._error(fault.status, headers)
        if kind is FaultKind.CONTENT_FILTER:
            if self.provider == "azure_openai":
                return web.json_response(
                    wire.azure_content_filter_body(), status=400, headers=headers
                )
            return web.json_response(
                self._answer(body, None, serial, filtered=True), headers=headers
            )
        answer = self._answer(body, wire.default_answer(self.provider), serial)
        if kind is FaultKind.WRONG_SHAPE:
            return web.json_response(wire.without_content(self.provider, answer), headers=headers)
        text = json.dumps(answer)
        broken = (
            text[: len(text) // 2]
            if kind in {FaultKind.TRUNCATED, FaultKind.NO_FINAL}
            else "<html><body>502 Bad Gateway (simulated)</body></html>"
        )
        # REFUSE only reaches here in the instant before the listener closes: fail like a proxy.
        status = 503 if kind is FaultKind.REFUSE else 200
        return web.Response(
            text=broken, status=status, content_type="application/json", headers=headers
        )

    def _error(
        self, status: int, headers: dict[str, str], message: str | None = None
    ) -> web.Response:
        return web.json_response(
            wire.error_body(self.provider, status, message), status=status, headers=headers
        )


def _strike_after(fault: Fault | None, length: int) -> int:
    """How many tokens a stream sends before its fault strikes (all of them without one)."""
    if fault is not None and fault.stall_after_tokens is not None:
        return min(fault.stall_after_tokens, length)
    if fault is not None and fault.drop_after_tokens is not None:
        return min(fault.drop_after_tokens, length)
    return length


def _fault_headers(fault: Fault | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if fault is not None and fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
    if fault is not None and fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    return headers


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
