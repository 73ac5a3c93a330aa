"""Acknowledging a crisis escalation from the alert itself: signed links, and what they do.

The Teams card and the email carry a link to ``/api/ack#token=...`` (in the fragment, so it
never reaches a server's log). The token is
``<escalation id>.<region>.<expiry>.<signature>``: an HMAC-SHA256, under ``ACK_LINK_KEY``, over
the escalation id, the region whose task hub runs the escalation and the expiry (epoch
seconds). It grants one thing, acknowledging that one escalation once, and it is not a key:
it opens nothing else.

- ``GET`` shows a confirmation page with a button and changes nothing, so link scanners and
  previews that follow links cannot acknowledge.
- ``POST`` acknowledges, once: the first use claims ``ack:<id>`` in the escalations table (an
  ETag-guarded write, so two instances cannot both win) and raises the ``ack`` event. A reused,
  expired or altered token gets a 4xx page.
- A token names its region. Each region has its own task hub, so a host that receives a token
  for the other region forwards the ``POST`` to that region's address
  (``ACK_REGION_URLS``), with the token in the body and a header that pins the region; the
  other host checks the token again itself. The token is the only credential, and it is never
  more than the link the nurse already holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from shared.platform import Settings

log = logging.getLogger(__name__)

ACK_PATH = "/api/ack"
REGION_HEADER = "x-askeve-region"
FORWARDED_HEADER = "x-askeve-ack-forwarded"
_ESCALATION_ID = re.compile(r"esc-[0-9a-f]{32}")
_REGION = re.compile(r"[a-z0-9]{1,32}")
_MAX_TOKEN_CHARS = 200


class AckTokenError(ValueError):
    """A token that is not valid: ``reason`` is ``invalid`` or ``expired``."""

    def __init__(self, reason: Literal["invalid", "expired"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AckClaim:
    """What a valid token says."""

    escalation_id: str
    region: str
    expires_at: int


@dataclass(frozen=True, slots=True, repr=False)
class AckSigner:
    """Signs and checks acknowledgement tokens. ``repr`` is suppressed: it holds the key."""

    key: bytes
    region: str
    ttl_s: float

    def __repr__(self) -> str:
        return f"AckSigner(region={self.region!r}, <key redacted>)"

    def token(self, escalation_id: str, created_at: str) -> str:
        """The token for an escalation of this region, valid ``ttl_s`` after it was raised."""
        expires = int(datetime.fromisoformat(created_at).timestamp() + self.ttl_s)
        body = f"{escalation_id}.{self.region}.{expires}"
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: float) -> AckClaim:
        """The claim of a genuine, unexpired token; raises :class:`AckTokenError` otherwise."""
        parts = token.split(".") if len(token) <= _MAX_TOKEN_CHARS else []
        if len(parts) != 4:
            raise AckTokenError("invalid")
        escalation_id, region, expires, signature = parts
        if not hmac.compare_digest(
            signature.encode(), self._sign(f"{escalation_id}.{region}.{expires}").encode()
        ):
            raise AckTokenError("invalid")
        if (
            not _ESCALATION_ID.fullmatch(escalation_id)
            or not _REGION.fullmatch(region)
            or not expires.isdigit()
        ):
            raise AckTokenError("invalid")
        if now >= int(expires):
            raise AckTokenError("expired")
        return AckClaim(escalation_id, region, int(expires))

    def _sign(self, body: str) -> str:
        digest = hmac.new(self.key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class AckLinks:
    """Where acknowledgement links point, and where each region is reached."""

    signer: AckSigner
    base_url: str
    region_urls: Mapping[str, str]

    def link(self, escalation_id: str, created_at: str) -> str:
        token = self.signer.token(escalation_id, created_at)
        # In the fragment: browsers never send it, so it stays out of access logs and telemetry.
        return f"{self.base_url}{ACK_PATH}#token={quote(token, safe='')}"


def parse_region_urls(raw: str) -> dict[str, str]:
    """``ACK_REGION_URLS``: ``region=https://host,region=https://host``. Raises ValueError."""
    urls: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        region, sep, url = item.partition("=")
        region, url = region.strip().lower(), url.strip().rstrip("/")
        if not sep or not _REGION.fullmatch(region) or not url.startswith(("https://", "http://")):
            raise ValueError(f"ACK_REGION_URLS: expected region=https://host, got {item!r}")
        urls[region] = url
    return urls


def link_lifetime_s(settings: Settings, ack_timeout_s: float, margin_s: float) -> float:
    """How long a link stays valid after its escalation was raised: ``ACK_LINK_TTL_S`` when
    set, else the acknowledgement window plus the configured margin (``ack_link_margin_s``:
    room for a card that Teams or SMTP took retries to deliver). After the window the
    supervisor has been reminded and the link could only say so; a short life means a token
    found later in a log or a forwarded mail acknowledges nothing."""
    ttl = settings.get("ACK_LINK_TTL_S")
    return float(ttl) if ttl else ack_timeout_s + margin_s


def ack_links_from(settings: Settings, default_ttl_s: float = 86_400.0) -> AckLinks | None:
    """The links from app settings, or None when ``ACK_LINK_KEY`` or ``ACK_BASE_URL`` is unset
    (then alerts carry no link and nurses acknowledge through an operator). ``default_ttl_s``
    applies when ``ACK_LINK_TTL_S`` is unset (see :func:`link_lifetime_s`)."""
    key, base_url = settings.get("ACK_LINK_KEY"), settings.get("ACK_BASE_URL").rstrip("/")
    if not key or not base_url:
        return None
    region = (settings.get("ACK_REGION") or "local").lower()
    if not _REGION.fullmatch(region):
        raise ValueError(f"ACK_REGION must be letters and digits, got {region!r}")
    ttl = settings.get("ACK_LINK_TTL_S")
    return AckLinks(
        signer=AckSigner(key.encode(), region, float(ttl) if ttl else default_ttl_s),
        base_url=base_url,
        region_urls=parse_region_urls(settings.get("ACK_REGION_URLS")),
    )


# --- what a link does ------------------------------------------------------------------------

AckOutcome = Literal[
    "confirm",  # GET: the page with the button
    "acknowledged",
    "already",  # acknowledged before (this link, another, or an operator)
    "finished",  # the escalation has ended (acknowledged late or after its reminder)
    "invalid",
    "expired",
    "unknown",  # no such escalation in its region
    "unreachable",  # its region could not be reached
    "unavailable",  # links are not configured here
]


@dataclass(frozen=True, slots=True)
class AckPage:
    """What to show: the status code, the outcome and, for ``confirm``, the token to post."""

    status: int
    outcome: AckOutcome
    escalation_id: str | None = None
    token: str | None = None


# (status, page) from the region that runs the escalation.
Forwarder = Callable[[str, str], Awaitable[tuple[int, AckPage]]]
