"""Breaker outcomes, written in the background on one thread of their own, in order.

A provider call's outcome must reach its breaker, but the answer (or the failover to the next
tier) must not wait for that: a counted failure is an ETag write, and a slow or unreachable
table would slow failover down exactly when it matters. So the activity hands the write to
:class:`OutcomeWriter` and returns.

One thread is enough: the breaker service does its store I/O under one lock anyway. Having a
thread of its own means a burst of failures (every provider hung) queues here rather than in
the shared worker threads that a crisis escalation's table calls need at that very moment.

Writes normally land within milliseconds. Whoever must see them first (tests) awaits
:meth:`OutcomeWriter.settled`. When the process stops, :meth:`OutcomeWriter.close` waits a
bounded time and hands back the records of the writes that did not run, for the records
outbox (see :mod:`shared.bootstrap`): nothing waits in memory past the instance's end.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from shared.platform import SerialWorker

log = logging.getLogger(__name__)


class OutcomeWriter:
    """A first-in, first-out background writer with a barrier for those who must wait."""

    def __init__(self) -> None:
        self._worker = SerialWorker("breaker-outcomes")
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        # The record of each submitted write that has not finished, in submission order.
        self._unwritten: dict[int, Mapping[str, Any]] = {}

    @property
    def busy(self) -> bool:
        """True while a submitted write has not finished."""
        return self._worker.busy

    def submit(self, write: Callable[[], None], record: Mapping[str, Any] | None = None) -> None:
        """Run ``write`` after every write submitted before it. Errors are logged, not raised.
        ``record`` (JSON) describes the write, for the outbox if the process stops first."""
        with self._lock:
            number = next(self._numbers)
            if record is not None:
                self._unwritten[number] = record
        self._worker.submit(lambda: self._run(number, write))

    async def settled(self) -> None:
        """Return once every write submitted before this call has finished."""
        await self._worker.settled()

    def close(self, timeout_s: float) -> list[Mapping[str, Any]]:
        """Wait up to ``timeout_s`` for the writes; then hand back the records of those not
        finished and forget them (one may still be running: applying it twice counts an
        outcome twice, while losing it forgets a failure)."""
        self._worker.wait(timeout_s)
        with self._lock:
            left = list(self._unwritten.values())
            self._unwritten.clear()
        return left

    def _run(self, number: int, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception:
            log.exception("breaker outcome not written")
        finally:
            with self._lock:
                self._unwritten.pop(number, None)
