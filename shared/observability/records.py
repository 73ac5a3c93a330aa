"""Hooks through which observability attaches to the chat path, without logging calls in it.

The gateway reports one :class:`ChatRecord` per answered request to every registered
:class:`ChatObserver` (telemetry, the audit trail, the SLA monitor). A record holds no message
content and no raw ids: only the pseudonymous conversation reference. Observers must be quick
and must not raise; a failing observer is logged and never affects the answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.failover.plan import Attempt

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """One answered chat request, as observability sees it."""

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


class ChatObserver(Protocol):
    def chat_completed(self, record: ChatRecord) -> None: ...


class Observers:
    """A fan-out of chat observers; registration is thread-safe, notification never raises."""

    def __init__(self) -> None:
        self._observers: list[ChatObserver] = []
        self._lock = threading.Lock()

    def add(self, observer: ChatObserver) -> None:
        with self._lock:
            self._observers.append(observer)

    def chat_completed(self, record: ChatRecord) -> None:
        for observer in list(self._observers):
            _safely(observer.chat_completed, record)


def _safely(call: Callable[[ChatRecord], None], record: ChatRecord) -> None:
    try:
        call(record)
    except Exception:
        log.exception("a chat observer failed; the answer is unaffected")
