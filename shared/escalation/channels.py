"""Delivery channels for escalations and alerts: a Teams Workflows webhook and SMTP email.

Each send returns a :class:`Delivery` and never raises: the escalation orchestration decides
about retries. Details name the failure (status code, exception class), never a secret or the
webhook URL.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiohttp

from shared.platform import Settings


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: str
    ok: bool
    detail: str = ""
    skipped: bool = False  # the channel is not configured for this audience


@dataclass(frozen=True, slots=True, repr=False)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    sender: str
    starttls: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings | None:
        host = settings.get("SMTP_HOST")
        if not host:
            return None
        port = settings.get("SMTP_PORT") or "587"
        return cls(
            host=host,
            port=int(port),
            username=settings.get("SMTP_USERNAME"),
            password=settings.get("SMTP_PASSWORD"),
            sender=settings.get("SMTP_FROM") or "ask-eve-gateway@localhost",
            starttls=settings.get("SMTP_STARTTLS").lower() not in {"0", "false", "no", "off"},
        )


async def send_teams(url: str, payload: dict[str, Any], timeout_s: float) -> Delivery:
    """POST an Adaptive Card message to a Workflows webhook; 2xx means delivered."""
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=payload) as response,
        ):
            await response.read()
            if 200 <= response.status < 300:
                return Delivery("teams", ok=True, detail=f"http {response.status}")
            return Delivery("teams", ok=False, detail=f"http {response.status}")
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        return Delivery("teams", ok=False, detail=type(exc).__name__)


def _send_email_blocking(smtp: SmtpSettings, message: EmailMessage, timeout_s: float) -> Delivery:
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout_s) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password)
            refused = client.send_message(message)
        if refused:
            return Delivery("email", ok=False, detail=f"{len(refused)} recipients refused")
        return Delivery("email", ok=True, detail="accepted")
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        return Delivery("email", ok=False, detail=type(exc).__name__)


async def send_email(smtp: SmtpSettings, message: EmailMessage, timeout_s: float) -> Delivery:
    """Send one email over SMTP (STARTTLS when configured), off the event loop."""
    return await asyncio.to_thread(_send_email_blocking, smtp, message, timeout_s)
