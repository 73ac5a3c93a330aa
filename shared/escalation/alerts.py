"""Pending operations alerts: pushed from anywhere, sent through the escalation channels.

Breaker listeners run on worker threads (see :mod:`shared.breakers.writer`) and the SLA monitor runs
inside an observer, where no orchestration client is at hand. They :func:`push` an
:class:`Alert` instead; code that holds a client (the chat trigger after answering, a timer with
a durable client binding) calls :func:`flush`, which starts one durable escalation per alert through
:meth:`~shared.escalation.service.Escalator.alert` (operations audience: Teams and email, retried).

De-duplication happens twice: an alert whose key is already pending is dropped here, and
:class:`~shared.escalation.service.Escalator` claims the key in the shared ``escalations`` table, so
instances that raise the same alert send it once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.escalation.model import Audience
from shared.platform.ports import Orchestrations

if TYPE_CHECKING:
    from shared.runtime import Runtime

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
    """A bounded, de-duplicating queue of alerts waiting for an orchestration client."""

    def __init__(self, clock: Callable[[], float] = time.time, limit: int = _MAX_PENDING) -> None:
        self._clock = clock
        self._limit = limit
        self._pending: dict[str, _Pending] = {}
        self._recent: deque[SentAlert] = deque(maxlen=_MAX_RECENT)
        self._listeners: list[SentListener] = []
        self._dropped = 0
        self._lock = threading.Lock()

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

    async def flush(self, runtime: Runtime, orchestrations: Orchestrations) -> int:
        """Send every pending alert; returns how many were handed to the escalation path."""
        from shared.escalation.service import Escalator  # noqa: PLC0415 - imports the channel stack

        escalator = Escalator(runtime)
        handed = 0
        for item in self._take():
            alert = item.alert
            try:
                outcome = await escalator.alert(
                    orchestrations,
                    title=alert.title,
                    facts=alert.facts,
                    dedup_key=alert.dedup_key,
                    audience=alert.audience,
                )
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
                    started=outcome.escalated,
                )
            )
        return handed


_queues: weakref.WeakKeyDictionary[Runtime, AlertQueue] = weakref.WeakKeyDictionary()
_queues_lock = threading.Lock()
_background: set[asyncio.Task[Any]] = set()


def queue_for(runtime: Runtime) -> AlertQueue:
    """The runtime's alert queue, created on first use."""
    with _queues_lock:
        queue = _queues.get(runtime)
        if queue is None:
            queue = _queues[runtime] = AlertQueue()
        return queue


def push(runtime: Runtime, alert: Alert) -> bool:
    """Queue an operations alert for the next :func:`flush` (thread-safe, never blocks)."""
    return queue_for(runtime).push(alert)


async def flush(runtime: Runtime, orchestrations: Orchestrations) -> int:
    """Send the runtime's pending alerts through the escalation path."""
    return await queue_for(runtime).flush(runtime, orchestrations)


def flush_soon(runtime: Runtime, orchestrations: Orchestrations) -> None:
    """Flush in the background if anything is pending: the caller (an answer) never waits,
    and never fails because of it."""
    try:
        if queue_for(runtime).pending:
            _spawn(_logged_flush(runtime, orchestrations))
    except Exception:
        log.exception("alert flush not scheduled; alerts stay queued")


def flush_when(ready: Awaitable[None], runtime: Runtime, orchestrations: Orchestrations) -> None:
    """Flush in the background once ``ready`` completes (e.g. breaker outcomes still being
    written, whose trip would raise an alert), if anything is pending by then."""

    async def later() -> None:
        await ready
        if queue_for(runtime).pending:
            await _logged_flush(runtime, orchestrations)

    try:
        _spawn(later())
    except Exception:
        log.exception("alert flush not scheduled; alerts stay queued")


async def _logged_flush(runtime: Runtime, orchestrations: Orchestrations) -> None:
    try:
        await flush(runtime, orchestrations)
    except Exception:
        log.exception("alert flush failed; alerts stay queued")


def _spawn(work: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)  # a reference, so the task is not collected before it finishes
    task.add_done_callback(_background.discard)
