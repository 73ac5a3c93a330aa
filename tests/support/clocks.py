"""The injected clock the tests move by hand."""

from __future__ import annotations

import threading


class ManualClock:
    """Seconds that only move when a test moves them. Thread-safe: a dev host or a breaker
    service may read it from its own threads while the test advances it."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    @property
    def now(self) -> float:
        with self._lock:
            return self._now

    @now.setter
    def now(self, value: float) -> None:
        with self._lock:
            self._now = value

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
