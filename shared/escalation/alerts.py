"""Operations alerts: one :class:`Alert` type, one queue, sent from where they are raised.

Whatever raises an operations alert (a breaker trip seen by the SLA monitor, the SLA rules
themselves, a failed key rotation, every tier failing for a request) pushes an :class:`Alert`
to the process's :class:`AlertQueue`; raising never blocks and never fails the caller.

With an outbox (the ``ops-alerts`` storage queue, :mod:`shared.platform.queues`), a push hands
the alert at once to a background thread that puts it on the storage queue. The
``operations_alert`` queue trigger then delivers it through :meth:`AlertQueue.deliver` to a
sink, normally :meth:`~shared.escalation.service.Escalator.alert_sink`: one durable escalation
per alert (operations audience: Teams and email, retried). That works from any thread of any
process, so an alert raised in a ``call_provider`` activity, on the breaker outcome writer's
thread, leaves at once and never waits for a chat request or a timer on its instance.

Only when the storage queue cannot take an alert does it stay in this process's memory
(pending), to be flushed by the next chat answer or timer run that holds an orchestration
client on this instance: a fallback, named in the README's per-instance choices.

De-duplication happens twice: an alert whose key is already on its way is dropped here, and the
escalator claims the key in the shared ``escalations`` table, so instances that raise the same
alert, and a queue message delivered twice, send it once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, cast, get_args

from shared.escalation.model import Audience
from shared.platform import SerialWorker

log = logging.getLogger(__name__)

_MAX_PENDING = 100
_MAX_RECENT = 50
_MAX_SEND_ATTEMPTS = 3
_PUBLISH_ATTEMPTS = 3
_PUBLISH_PAUSE_S = 0.2


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

    def to_json(self) -> dict[str, Any]:
        """The queue message form (content-free, like the alert itself)."""
        return {
            "title": self.title,
            "dedup_key": self.dedup_key,
            "rule": self.rule,
            "state": self.state,
            "severity": self.severity,
            "subject": self.subject,
            "facts": [[name, value] for name, value in self.facts],
            "audience": self.audience,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Alert:
        """Read a queue message; raises ``ValueError`` for one that is not an alert."""
        try:
            audience = str(data.get("audience", "operations"))
            if audience not in get_args(Audience):
                raise ValueError(f"unknown audience {audience!r}")
            return cls(
                title=str(data["title"]),
                dedup_key=str(data["dedup_key"]),
                rule=str(data.get("rule", "")),
                state=str(data.get("state", "raised")),
                severity=str(data.get("severity", "error")),
                subject=str(data.get("subject", "")),
                facts=tuple((str(n), str(v)) for n, v in data.get("facts", ())),
                audience=cast("Audience", audience),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an alert message: {type(exc).__name__}") from exc


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
# Puts one alert's JSON on a durable queue; raises when it cannot.
AlertOutbox = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class _Pending:
    alert: Alert
    attempts: int = 0


class AlertQueue:
    """Sends alerts to the outbox at once; keeps those it cannot send, bounded and
    de-duplicated, for a flush to a sink."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        limit: int = _MAX_PENDING,
        *,
        outbox: AlertOutbox | None = None,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._limit = limit
        self._outbox = outbox
        self._pause = pause
        self._publisher = SerialWorker("alert-outbox") if outbox is not None else None
        self._publishing: set[str] = set()
        self._pending: dict[str, _Pending] = {}
        self._recent: deque[SentAlert] = deque(maxlen=_MAX_RECENT)
        self._listeners: list[SentListener] = []
        self._dropped = 0
        self._lock = threading.Lock()
        self._background: set[asyncio.Task[Any]] = set()

    def push(self, alert: Alert) -> bool:
        """Send ``alert`` to the outbox in the background (or queue it here without one);
        False when the same key is already on its way (or the queue is full)."""
        with self._lock:
            if alert.dedup_key in self._pending or alert.dedup_key in self._publishing:
                return False
            if self._publisher is None:
                return self._keep(alert)
            self._publishing.add(alert.dedup_key)
        self._publisher.submit(lambda: self._publish(alert))
        return True

    def settled(self, timeout_s: float) -> bool:
        """Wait until every alert pushed so far has reached the outbox or been kept here
        (tests; shutdown). False if some are still on their way after ``timeout_s``."""
        return self._publisher is None or self._publisher.wait(timeout_s)

    async def deliver(self, alert: Alert, sink: AlertSink) -> SendOutcome:
        """Send one alert taken from the outbox to ``sink`` and tell the listeners; the
        sink's error propagates, so the queue message is retried."""
        outcome = await sink(alert)
        self._record(alert, outcome)
        return outcome

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
            self._record(alert, outcome)
        return handed

    def _record(self, alert: Alert, outcome: SendOutcome) -> None:
        """Tell the listeners that ``alert`` went to the sink, with what the sink did."""
        self._sent(
            SentAlert(
                alert=alert,
                at=self._clock(),
                escalation_id=outcome.escalation_id,
                deduplicated=outcome.deduplicated,
                started=outcome.started,
            )
        )

    def flush_soon(self, sink: AlertSink) -> None:
        """Flush in the background if anything is pending: the caller (an answer) never waits,
        and never fails because of it."""
        try:
            if self.pending:
                self._spawn(self._logged_flush(sink))
        except Exception:
            log.exception("alert flush not scheduled; alerts stay queued")

    # --- internals --------------------------------------------------------------------------

    def _keep(self, alert: Alert) -> bool:
        """With the lock held: keep ``alert`` pending for a flush."""
        if len(self._pending) >= self._limit:
            self._dropped += 1
            log.error("alert queue full; alert dropped: rule=%s", alert.rule)
            return False
        self._pending[alert.dedup_key] = _Pending(alert)
        return True

    def _publish(self, alert: Alert) -> None:
        """On the outbox thread: put the alert on the storage queue, or keep it here."""
        assert self._outbox is not None  # noqa: S101 - only submitted when there is one
        try:
            for attempt in range(_PUBLISH_ATTEMPTS):
                try:
                    self._outbox(alert.to_json())
                except Exception as exc:  # noqa: BLE001 - any storage failure: retry, then keep
                    log.warning(
                        "alert not queued: rule=%s attempt=%d error=%s",
                        alert.rule,
                        attempt + 1,
                        type(exc).__name__,
                    )
                    if attempt + 1 < _PUBLISH_ATTEMPTS:
                        self._pause(_PUBLISH_PAUSE_S * 2**attempt)
                    continue
                return
            with self._lock:
                self._keep(alert)
            log.error("alert kept in this process until a flush: rule=%s", alert.rule)
        finally:
            with self._lock:
                self._publishing.discard(alert.dedup_key)

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
