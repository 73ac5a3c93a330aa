"""The events port: how the core reports what happened, without knowing who listens.

The core emits one frozen value per event to an :class:`Events` port it is given: a chat was
answered (:class:`ChatRecord`), a breaker changed state (:class:`BreakerChanged`), an
escalation delivery was tried (:class:`EscalationSent`), a health check ran
(:class:`HealthChecked`), an audit event occurred (:class:`Audited`). Observability
(telemetry, the audit trail, the SLA monitor, the status page) subscribes to the port; the core
never imports it. Events hold no message content and no raw ids: the chat record carries only
the pseudonymous conversation reference, and audit fields are content-free scalars.

Subscribers are called on the emitting thread, so they must be quick and must not block; one
that raises is logged and never affects the caller. :class:`EventBus` is per process: an event
reaches the subscribers of the instance that emitted it (the README's list of per-instance
choices names this).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.models import Attempt

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """A chat request was answered."""

    at: datetime
    request_id: str
    conversation_ref: str | None
    tier: int
    provider: str
    attempts: tuple[Attempt, ...]
    crisis: bool
    crisis_category: str | None
    escalated: bool
    degraded: bool
    simulated: bool
    latency_ms: float
    status: int = 200


@dataclass(frozen=True, slots=True)
class BreakerChanged:
    """A provider's circuit breaker moved from ``old`` to ``new`` (state names)."""

    provider: str
    old: str
    new: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class EscalationSent:
    """One delivery attempt of an escalation on one channel: ``result`` is delivered, skipped
    or delivery_failed."""

    audience: str
    channel: str
    result: str


@dataclass(frozen=True, slots=True)
class HealthChecked:
    """One provider's health check ran, with this outcome."""

    provider: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Audited:
    """An operator or system event for the audit trail (``fields`` are content-free)."""

    name: str
    fields: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)


Event = ChatRecord | BreakerChanged | EscalationSent | HealthChecked | Audited
Subscriber = Callable[[Event], None]


class Events(Protocol):
    """The port the core emits to."""

    def emit(self, event: Event) -> None: ...


class EventBus:
    """Fans each event out to its subscribers; thread-safe, and emitting never raises."""

    def __init__(self) -> None:
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

    def emit(self, event: Event) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:
                log.exception("an event subscriber failed; the caller is unaffected")


class NoEvents:
    """An :class:`Events` port that drops everything (tools and tests that observe nothing)."""

    def emit(self, event: Event) -> None:
        """Nothing listens."""
