"""``/api/health/ready``: whether this region can serve, for Front Door's health probe.

Liveness (``/api/health/live``) touches nothing. Readiness checks the two things without which
the region answers every request with emergency text or cannot escalate a crisis: the breaker
store (a fresh read of the ``breakers`` table) and the Durable backend (a status query for an
instance that does not exist, which the Durable extension answers from the task hub's storage).
Either failing is a 503, so Front Door's probe takes the region out of rotation.

Front Door probes from every edge, so the result is cached for ``ttl_s`` (5 s; the issue's bound
is 10 s) and one check runs at a time: the probes cost the stores one read each per interval,
whatever the number of edges. Each check is bounded by ``timeout_s``, so a hung store is
reported as down, not waited on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.platform import HttpReply, Orchestrations

log = logging.getLogger(__name__)

PROBE_INSTANCE = "readiness-probe-0000"


@dataclass(frozen=True, slots=True)
class ReadyResult:
    at: float
    breaker_store: bool
    durable: bool

    @property
    def ready(self) -> bool:
        return self.breaker_store and self.durable

    def reply(self) -> HttpReply:
        body = {
            "status": "ready" if self.ready else "not_ready",
            "breaker_store": "ok" if self.breaker_store else "unreachable",
            "durable": "ok" if self.durable else "unreachable",
        }
        return HttpReply(200 if self.ready else 503, body, {"Cache-Control": "no-store"})


@dataclass
class Readiness:
    """The cached readiness check. ``probe_store`` raises when the breaker store is down."""

    probe_store: Callable[[], None]
    clock: Callable[[], float] = time.monotonic
    ttl_s: float = 5.0
    timeout_s: float = 3.0
    _last: ReadyResult | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def check(self, orchestrations: Orchestrations) -> HttpReply:
        async with self._lock:
            last = self._last
            if last is None or self.clock() - last.at >= self.ttl_s:
                store_ok, durable_ok = await asyncio.gather(
                    self._store_ok(), self._durable_ok(orchestrations)
                )
                last = self._last = ReadyResult(self.clock(), store_ok, durable_ok)
                if not last.ready:
                    log.warning(
                        "not ready: breaker store %s, durable backend %s",
                        "ok" if store_ok else "unreachable",
                        "ok" if durable_ok else "unreachable",
                    )
            return last.reply()

    async def _store_ok(self) -> bool:
        try:
            await asyncio.wait_for(asyncio.to_thread(self.probe_store), self.timeout_s)
        except Exception:  # noqa: BLE001 - any failure means not ready
            return False
        return True

    async def _durable_ok(self, orchestrations: Orchestrations) -> bool:
        try:
            await asyncio.wait_for(orchestrations.poll(PROBE_INSTANCE), self.timeout_s)
        except Exception:  # noqa: BLE001 - any failure means not ready
            return False
        return True
