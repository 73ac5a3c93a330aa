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
from typing import Any

from aiohttp import web

from simulators import validation, wire
from simulators.faults import Fault, FaultKind, ProviderName
from simulators.state import ProviderState, RecordedRequest

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
        fault = self.state.receive(
            RecordedRequest(
                path=request.path,
                query=dict(request.query),
                auth=auth_scheme(self.provider, request),
                body=body,
                key_id=key_id(_credential(self.provider, request)),
                host=request.host,
            )
        )
        serial = next(self._serial)
        headers = _fault_headers(fault)
        headers[_REQUEST_ID_HEADER[self.provider]] = f"req_sim{serial:06d}"
        if fault is not None and fault.kind is FaultKind.HANG:
            await self._hold()
            if self._stopping.is_set():
                return self._error(503, headers)
            fault = None  # released by a change of fault: answer normally
        elif fault is not None and fault.latency_ms:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.latency_ms / 1000)
        if fault is not None and fault.kind is not FaultKind.OK:
            return self._faulted(fault, body or {}, serial, headers)
        checked = self._checked(request, body, headers)
        if isinstance(checked, web.Response):
            return checked
        text = wire.default_answer(self.provider)
        if fault is not None and fault.answer is not None:
            text = fault.answer
        return web.json_response(self._answer(checked, text, serial), headers=headers)

    async def _hold(self) -> None:
        released = self.state.released
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
        self, body: dict[str, Any], text: str | None, serial: int, *, filtered: bool = False
    ) -> dict[str, Any]:
        if self.provider == "anthropic":
            return wire.anthropic_answer(
                body,
                text,
                response_id=f"msg_sim{serial:06d}",
                stop_reason="refusal" if filtered else "end_turn",
            )
        return wire.openai_answer(
            body,
            text,
            response_id=f"chatcmpl-sim{serial:06d}",
            created=int(self._clock()),
            finish_reason="content_filter" if filtered else "stop",
            azure=self.provider == "azure_openai",
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
            if kind is FaultKind.TRUNCATED
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
