"""Per-instance rate limiting with token buckets and progressive delays.

Each key (a conversation, a client IP) has a token bucket. A request that finds the bucket empty
is refused with a ``Retry-After`` that grows while the client keeps exceeding its limit: 1, 2,
4, 8 ... seconds, capped, and forgotten after a spell of good behaviour. The limiter lives in
one instance's memory: a scaled-out app multiplies the limits by its instance count, so the
global limit belongs to the WAF rate-limit rule in front of the app. Crisis messages are never
passed through here. The clock is injected; the number of keys held is bounded.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.platform import BucketConfig, RateLimitConfig


@dataclass
class _Entry:
    tokens: float
    updated: float
    strikes: int = 0
    last_strike: float = -math.inf


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0
    limited_by: str | None = None


class RateLimiter:
    def __init__(self, config: RateLimitConfig, clock: Callable[[], float]) -> None:
        self._config = config
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, *, conversation: str | None, client_ip: str | None) -> Verdict:
        """Take one token from each applicable bucket, or refuse with a growing delay."""
        now = self._clock()
        keys: list[tuple[str, str, BucketConfig]] = []
        if conversation:
            keys.append(("conversation", conversation, self._config.per_conversation))
        if client_ip:
            keys.append(("ip", client_ip, self._config.per_ip))
        with self._lock:
            entries = [
                (kind, self._entry(kind, key, bucket, now), bucket) for kind, key, bucket in keys
            ]
            for _, entry, bucket in entries:
                self._refill(entry, bucket, now)
            for kind, entry, _ in entries:
                if entry.tokens < 1.0:
                    return Verdict(False, self._strike(entry, now), kind)
            for _, entry, _ in entries:
                entry.tokens -= 1.0
            return Verdict(True)

    def _entry(self, kind: str, key: str, bucket: BucketConfig, now: float) -> _Entry:
        entry = self._entries.get((kind, key))
        if entry is None:
            entry = _Entry(tokens=float(bucket.burst), updated=now)
            self._entries[(kind, key)] = entry
            while len(self._entries) > self._config.max_keys:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end((kind, key))
        return entry

    @staticmethod
    def _refill(entry: _Entry, bucket: BucketConfig, now: float) -> None:
        elapsed = max(0.0, now - entry.updated)
        entry.tokens = min(float(bucket.burst), entry.tokens + elapsed * bucket.rate_per_s)
        entry.updated = now

    def _strike(self, entry: _Entry, now: float) -> int:
        if now - entry.last_strike >= self._config.forgive_after_s:
            entry.strikes = 0
        entry.strikes += 1
        entry.last_strike = now
        delay = self._config.first_delay_s * 2 ** (entry.strikes - 1)
        return int(min(delay, self._config.max_delay_s))


FRONT_DOOR_ID_HEADER = "x-azure-fdid"
# The address of the connection Front Door received. ``X-Azure-ClientIP`` is not read: Front
# Door derives it from headers the client sends, so a client can choose it.
SOCKET_IP_HEADER = "x-azure-socketip"


def client_ip(headers: Mapping[str, str], front_door_id: str) -> str | None:
    """The address of the connection Front Door received, or None when the request did not
    come through this app's Front Door profile (then no per-IP bucket applies; the
    conversation bucket still does).

    Only ``X-Azure-SocketIP`` counts, and only when ``X-Azure-FDID`` names the configured
    profile (``FRONT_DOOR_ID``): Front Door sets both itself, and the app admits no other
    caller (its access rule matches the same id). ``X-Forwarded-For`` and
    ``X-Azure-ClientIP`` begin with or come from whatever the client sent, so they are never
    read.
    """
    if not front_door_id:
        return None
    presented = (headers.get(FRONT_DOOR_ID_HEADER) or "").strip().lower()
    if not hmac.compare_digest(presented.encode(), front_door_id.strip().lower().encode()):
        return None
    return _without_port((headers.get(SOCKET_IP_HEADER) or "").strip())


def _without_port(address: str) -> str | None:
    if address.startswith("["):  # [IPv6]:port
        return address[1:].split("]", 1)[0] or None
    if address.count(":") == 1:  # IPv4:port
        address = address.split(":", 1)[0]
    return address or None


@dataclass(frozen=True, slots=True)
class BotBackend:
    """The chatbot backend's egress addresses (``BOT_BACKEND_ADDRESSES``, the same CIDRs the
    WAF's ``AllowBotBackend`` rule matches). Every patient's message reaches the gateway from
    them, so they get no per-IP bucket: one shared bucket would turn a spike of ordinary
    messages into 429s for patients. Each conversation keeps its own bucket."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, raw: str) -> tuple[BotBackend, list[str]]:
        """From a comma- or space-separated list of addresses or CIDR blocks: the backend, and
        the entries that are neither (left out, for the caller to report)."""
        networks = []
        malformed = []
        for item in raw.replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                malformed.append(item)
        return cls(tuple(networks)), malformed

    def includes(self, address: str | None) -> bool:
        if not address or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)
