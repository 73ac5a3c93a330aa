"""Loopback alert receivers: a Teams-style webhook endpoint and a real SMTP server (aiosmtpd).

Tests use them to prove that escalations are delivered, retried and de-duplicated; ``make run``
uses them as a local inbox when no real channels are configured. Both record what they
receive, and both can be told to fail (the webhook answers 500s; the SMTP server is stopped).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiohttp import web

Listener = Callable[[str, str, str], None]  # (channel, route or recipient, title)


@dataclass
class Received:
    at: float
    path: str
    body: Any


@dataclass
class _WebhookState:
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    failed: int = 0
    status: int = 500
    # Paths that answer with a status until cleared (a revoked or broken webhook), and the
    # posts they refused.
    failing: dict[str, int] = field(default_factory=dict)
    refused: list[Received] = field(default_factory=list)


class WebhookReceiver:
    """An HTTP endpoint that accepts JSON posts on any path, on its own thread and loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, listener: Listener | None = None):
        self._state = _WebhookState()
        self._lock = threading.Lock()
        self._listener = listener
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner: web.AppRunner | None = None
        self.port = asyncio.run_coroutine_threadsafe(self._start(host, port), self._loop).result(10)
        self.host = host

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def _start(self, host: str, port: int) -> int:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None  # noqa: S101 - started above
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1])

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        with self._lock:
            if request.path in self._state.failing:
                self._state.failed += 1
                self._state.refused.append(Received(time.monotonic(), request.path, None))
                return web.Response(status=self._state.failing[request.path], text="gone")
            if self._state.fail_next > 0:
                self._state.fail_next -= 1
                self._state.failed += 1
                return web.Response(status=self._state.status, text="simulated failure")
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                return web.Response(status=400, text="not JSON")
            self._state.received.append(Received(time.monotonic(), request.path, body))
        if self._listener is not None:
            self._listener("teams", request.path, _card_title(body))
        return web.Response(status=202, text="accepted")

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` posts with ``status`` instead of accepting them."""
        with self._lock:
            self._state.fail_next = count
            self._state.status = status

    def fail_path(self, path: str, status: int = 410) -> None:
        """Answer every post to ``path`` with ``status`` until :meth:`clear` (410 Gone is what
        a revoked Workflows webhook answers)."""
        with self._lock:
            self._state.failing[path] = status

    @property
    def refused(self) -> list[Received]:
        """The posts refused by :meth:`fail_path`, with when (monotonic) and where."""
        with self._lock:
            return list(self._state.refused)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._state.received)

    @property
    def failed(self) -> int:
        with self._lock:
            return self._state.failed

    def clear(self) -> None:
        with self._lock:
            self._state = _WebhookState()

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._runner = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _card_title(body: Any) -> str:
    try:
        return str(body["attachments"][0]["content"]["body"][0]["text"])
    except (KeyError, IndexError, TypeError):
        return "(not an adaptive card)"


class _Inbox:
    def __init__(self, listener: Listener | None) -> None:
        self.messages: list[tuple[float, EmailMessage]] = []
        self.lock = threading.Lock()
        self.listener = listener

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default makes EmailMessage
        with self.lock:
            self.messages.append((time.monotonic(), message))
        if self.listener is not None:
            self.listener("email", ",".join(envelope.rcpt_tos), str(message["Subject"]))
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """A real SMTP server on loopback (aiosmtpd), recording every message it accepts."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, listener: Listener | None = None):
        from aiosmtpd.controller import Controller  # noqa: PLC0415 - dev dependency

        self.host = host
        self._inbox = _Inbox(listener)
        self.port = port or _free_port(host)
        self._controller_type = Controller
        self._controller: Any = None
        self.start()

    def start(self) -> None:
        """Listen (again) on the same port."""
        if self._controller is None:
            controller = self._controller_type(self._inbox, hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        """Stop listening: connections are refused until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._inbox.lock:
            return [m for _, m in self._inbox.messages]

    @property
    def received_at(self) -> list[float]:
        with self._inbox.lock:
            return [t for t, _ in self._inbox.messages]

    def clear(self) -> None:
        with self._inbox.lock:
            self._inbox.messages.clear()

    def __enter__(self) -> SmtpReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _free_port(host: str) -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def receiver_settings(webhook: WebhookReceiver, smtp: SmtpReceiver) -> dict[str, str]:
    """App settings that route every audience's channels to these receivers."""
    return {
        "TEAMS_WEBHOOK_URL": webhook.url("/clinical"),
        "SUPERVISOR_TEAMS_WEBHOOK_URL": webhook.url("/supervisor"),
        "OPS_TEAMS_WEBHOOK_URL": webhook.url("/operations"),
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "SMTP_FROM": "ask-eve-gateway@localhost",
        "ALERT_EMAIL_TO": "nurse-team@localhost",
        "SUPERVISOR_EMAIL_TO": "nurse-lead@localhost",
        "OPS_ALERT_EMAIL_TO": "operations@localhost",
    }
