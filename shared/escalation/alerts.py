"""Operations alerts: one :class:`Alert` type, one queue, flushed to a sink that is passed in.

Whatever raises an operations alert (a breaker trip seen by the SLA monitor, the SLA rules
themselves, a failed key rotation, every tier failing for a request) pushes an :class:`Alert`
to the process's :class:`AlertQueue`; raising never blocks and never fails the caller. Code
that holds an orchestration client (the chat trigger after answering, a timer with a durable
client binding) flushes the queue to a sink, normally
:meth:`~shared.escalation.service.Escalator.alert_sink`: one durable escalation per alert
(operations audience: Teams and email, retried).

De-duplication happens twice: an alert whose key is already pending is dropped here, and the
escalator claims the key in the shared ``escalations`` table, so instances that raise the same
alert send it once.

The queue lives in one process's memory: an alert raised on an instance is sent by the next
flush on that instance. The README's list of per-instance choices names this.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from shared.escalation.model import Audience

log = logging.getLogger(__name__)

_MAX_PENDING = 100
_MAX_RECENT = 50
_MAX_SEND_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Alert:
    """An operations alert. ``facts`` are content-free: names, counts, times."""

    title: str
    dedup_key: str
    rule: str = ""
    state: str = "raised"
    severity: str = "error"
    subject: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    audience: Audience = "operations"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What the sink did with one alert."""

    started: bool
    escalation_id: str | None = None
    deduplicated: bool = False


AlertSink = Callable[[Alert], Awaitable[SendOutcome]]


@dataclass(frozen=True, slots=True)
class SentAlert:
    """What happened to one flushed alert."""

    alert: Alert
    at: float
    escalation_id: str | None
    deduplicated: bool
    started: bool


SentListener = Callable[[SentAlert], None]


@dataclass(slots=True)
class _Pending:
    alert: Alert
    attempts: int = 0


class AlertQueue:
    """A bounded, de-duplicating queue of alerts waiting to be flushed to a sink."""

    def __init__(self, clock: Callable[[], float] = time.time, limit: int = _MAX_PENDING) -> None:
        self._clock = clock
        self._limit = limit
        self._pending: dict[str, _Pending] = {}
        self._recent: deque[SentAlert] = deque(maxlen=_MAX_RECENT)
        self._listeners: list[SentListener] = []
        self._dropped = 0
        self._lock = threading.Lock()
        self._background: set[asyncio.Task[Any]] = set()

    def push(self, alert: Alert) -> bool:
        """Queue ``alert``; False when the same key is already pending (or the queue is full)."""
        with self._lock:
            if alert.dedup_key in self._pending:
                return False
            if len(self._pending) >= self._limit:
                self._dropped += 1
                log.error("alert queue full; alert dropped: rule=%s", alert.rule)
                return False
            self._pending[alert.dedup_key] = _Pending(alert)
            return True

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    @property
    def dropped(self) -> int:
        with self._lock:
            return self._dropped

    def recent(self) -> list[SentAlert]:
        """The latest flushed alerts of this instance, newest first."""
        with self._lock:
            return list(reversed(self._recent))

    def add_listener(self, listener: SentListener) -> None:
        """Call ``listener`` after each alert is flushed (the audit trail, telemetry)."""
        with self._lock:
            self._listeners.append(listener)

    async def flush(self, sink: AlertSink) -> int:
        """Send every pending alert to ``sink``; returns how many it took. An alert the sink
        fails on is queued again, up to three attempts in all."""
        handed = 0
        for item in self._take():
            alert = item.alert
            try:
                outcome = await sink(alert)
            except Exception:
                item.attempts += 1
                if item.attempts < _MAX_SEND_ATTEMPTS:
                    self._requeue(item)
                log.exception("alert not sent: rule=%s attempt=%d", alert.rule, item.attempts)
                continue
            handed += 1
            self._sent(
                SentAlert(
                    alert=alert,
                    at=self._clock(),
                    escalation_id=outcome.escalation_id,
                    deduplicated=outcome.deduplicated,
                    started=outcome.started,
                )
            )
        return handed

    def flush_soon(self, sink: AlertSink) -> None:
        """Flush in the background if anything is pending: the caller (an answer) never waits,
        and never fails because of it."""
        try:
            if self.pending:
                self._spawn(self._logged_flush(sink))
        except Exception:
            log.exception("alert flush not scheduled; alerts stay queued")

    def flush_when(self, ready: Awaitable[None], sink: AlertSink) -> None:
        """Flush in the background once ``ready`` completes (e.g. breaker outcomes still being
        written, whose trip would raise an alert), if anything is pending by then."""

        async def later() -> None:
            await ready
            if self.pending:
                await self._logged_flush(sink)

        try:
            self._spawn(later())
        except Exception:
            log.exception("alert flush not scheduled; alerts stay queued")

    # --- internals --------------------------------------------------------------------------

    def _take(self) -> list[_Pending]:
        with self._lock:
            taken = list(self._pending.values())
            self._pending.clear()
            return taken

    def _requeue(self, item: _Pending) -> None:
        with self._lock:
            if item.alert.dedup_key not in self._pending:
                self._pending[item.alert.dedup_key] = item

    def _sent(self, sent: SentAlert) -> None:
        with self._lock:
            self._recent.append(sent)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(sent)
            except Exception:
                log.exception("alert listener failed")

    async def _logged_flush(self, sink: AlertSink) -> None:
        try:
            await self.flush(sink)
        except Exception:
            log.exception("alert flush failed; alerts stay queued")

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)  # a reference, so the task is not collected too soon
        task.add_done_callback(self._background.discard)
