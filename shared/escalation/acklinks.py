"""Acknowledging a crisis escalation from the alert itself: signed links, and what they do.

The Teams card and the email carry a link to ``/api/ack#token=...`` (in the fragment, so it
never reaches a server's log). The token is
``<escalation id>.<region>.<expiry>.<key id>.<signature>``: an HMAC-SHA256 over the escalation
id, the region whose task hub runs the escalation, the expiry (epoch seconds) and the key id,
under the key that id names. New links are signed with ``ACK_LINK_KEY``; links signed with
``ACK_LINK_KEY_PREVIOUS`` are still accepted, so rotating the key (previous := current, current
:= new) leaves every link already sent working until it expires. The key id is derived from the
key (:func:`key_id`), so it cannot be set wrongly and says nothing a token's signature does not.
Tokens of the format before key ids (four parts, no key id) are accepted under either key
until their own signed expiry: refusing them would strand every alert sent before a
deployment.

A token opens the nurse view of that one escalation (``GET``), and lets its holder acknowledge
it and record what happened (``POST``). It opens nothing else.

- ``GET`` shows the case and its forms and changes nothing (link scanners and previews that
  follow links cannot acknowledge); each view is audited.
- ``POST`` acknowledges, once: the ``ack`` event is raised first, and only then is
  ``ack:<id>`` claimed in the escalations table (an ETag-guarded write, so two instances cannot
  both win). A failure between the two leaves no claim, so a retry raises again (harmless: the
  orchestration takes the first) rather than saying "already acknowledged" to a nurse whose
  acknowledgement never arrived. A reused, expired or altered token gets a 4xx page.
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

from shared.escalation.casefile import CaseFile
from shared.platform import Settings

log = logging.getLogger(__name__)

ACK_PATH = "/api/ack"
REGION_HEADER = "x-askeve-region"
FORWARDED_HEADER = "x-askeve-ack-forwarded"
_ESCALATION_ID = re.compile(r"esc-[0-9a-f]{32}")
_REGION = re.compile(r"[a-z0-9]{1,32}")
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{8}")
_MAX_TOKEN_CHARS = 200


def key_id(key: bytes) -> str:
    """The public id of a link key: 8 characters of an HMAC under the key of a fixed label."""
    digest = hmac.new(key, b"ask-eve ack-link key id", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:8]


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
    """Signs (with ``key``) and checks (with ``key`` or ``previous``) acknowledgement tokens.
    ``repr`` is suppressed: it holds the keys."""

    key: bytes
    region: str
    ttl_s: float
    previous: bytes | None = None

    def __repr__(self) -> str:
        return f"AckSigner(region={self.region!r}, <keys redacted>)"

    def token(self, escalation_id: str, created_at: str) -> str:
        """The token for an escalation of this region, valid ``ttl_s`` after it was raised."""
        expires = int(datetime.fromisoformat(created_at).timestamp() + self.ttl_s)
        body = f"{escalation_id}.{self.region}.{expires}.{key_id(self.key)}"
        return f"{body}.{_sign(self.key, body)}"

    def verify(self, token: str, now: float) -> AckClaim:
        """The claim of a genuine, unexpired token; raises :class:`AckTokenError` otherwise."""
        parts = token.split(".") if len(token) <= _MAX_TOKEN_CHARS else []
        if len(parts) == 5:  # escalation, region, expiry, key id, signature
            escalation_id, region, expires, kid, signature = parts
            key = self._key(kid)
            body = f"{escalation_id}.{region}.{expires}.{kid}"
            genuine = key is not None and _matches(key, body, signature)
        elif len(parts) == 4:  # the format before key ids, until it expires
            escalation_id, region, expires, signature = parts
            body = f"{escalation_id}.{region}.{expires}"
            genuine = any(_matches(k, body, signature) for k in self._keys())
        else:
            raise AckTokenError("invalid")
        if (
            not genuine
            or not _ESCALATION_ID.fullmatch(escalation_id)
            or not _REGION.fullmatch(region)
            or not expires.isdigit()
        ):
            raise AckTokenError("invalid")
        if now >= int(expires):
            raise AckTokenError("expired")
        return AckClaim(escalation_id, region, int(expires))

    def _keys(self) -> tuple[bytes, ...]:
        return (self.key,) if self.previous is None else (self.key, self.previous)

    def _key(self, kid: str) -> bytes | None:
        if not _KEY_ID.fullmatch(kid):
            return None
        return next((k for k in self._keys() if hmac.compare_digest(key_id(k), kid)), None)


def _sign(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _matches(key: bytes, body: str, signature: str) -> bool:
    return hmac.compare_digest(signature.encode(), _sign(key, body).encode())


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
    applies when ``ACK_LINK_TTL_S`` is unset (see :func:`link_lifetime_s`).
    ``ACK_LINK_KEY_PREVIOUS``, when set, is the key before the last rotation: links signed with
    it are still accepted until they expire."""
    key, base_url = settings.get("ACK_LINK_KEY"), settings.get("ACK_BASE_URL").rstrip("/")
    previous = settings.get("ACK_LINK_KEY_PREVIOUS")
    if not key or not base_url:
        return None
    region = (settings.get("ACK_REGION") or "local").lower()
    if not _REGION.fullmatch(region):
        raise ValueError(f"ACK_REGION must be letters and digits, got {region!r}")
    ttl = settings.get("ACK_LINK_TTL_S")
    return AckLinks(
        signer=AckSigner(
            key.encode(),
            region,
            float(ttl) if ttl else default_ttl_s,
            previous.encode() if previous and previous != key else None,
        ),
        base_url=base_url,
        region_urls=parse_region_urls(settings.get("ACK_REGION_URLS")),
    )


# --- what a link does ------------------------------------------------------------------------

AckOutcome = Literal[
    "confirm",  # GET: the nurse view, with its forms
    "messages",  # the nurse view with the last turns' text (ESCALATION_SHOW_MESSAGES on)
    "acknowledged",
    "recorded",  # an outcome was recorded (and the escalation acknowledged, if it was not)
    "bad_outcome",  # an outcome that is not one of OUTCOMES
    "already",  # acknowledged before (this link, another, or an operator)
    "finished",  # the escalation has ended (acknowledged late or after its reminder)
    "invalid",
    "expired",
    "unknown",  # no such escalation in its region
    "unreachable",  # its region could not be reached
    "try_again",  # the Durable backend could not answer: nothing changed
    "unavailable",  # links are not configured here
]


@dataclass(frozen=True, slots=True)
class AckPage:
    """What to show: the status code, the outcome and, for the view, the token to post, the
    case (None when this region does not hold it) and whether its text may be shown."""

    status: int
    outcome: AckOutcome
    escalation_id: str | None = None
    token: str | None = None
    case: CaseFile | None = None
    messages_enabled: bool = False
    recorded: str | None = None


# (status, page) from the region that runs the escalation.
Forwarder = Callable[[str, str], Awaitable[tuple[int, AckPage]]]
