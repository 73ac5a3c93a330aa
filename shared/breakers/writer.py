"""Breaker outcomes, written in the background on one thread of their own, in order.

A provider call's outcome must reach its breaker, but the answer (or the failover to the next
tier) must not wait for that: a counted failure is an ETag write, and a slow or unreachable
table would slow failover down exactly when it matters. So the activity hands the write to
:class:`OutcomeWriter` and returns.

One thread is enough: the breaker service does its store I/O under one lock anyway. Having a
thread of its own means a burst of failures (every provider hung) queues here rather than in
the shared worker threads that a crisis escalation's table calls need at that very moment.

Writes normally land within milliseconds. Whoever must see them first (the chat trigger, before
it sends the alerts a trip raises) awaits :meth:`OutcomeWriter.settled`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class OutcomeWriter:
    """A first-in, first-out background writer with a barrier for those who must wait."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="breaker-outcomes")
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def busy(self) -> bool:
        """True while a submitted write has not finished."""
        with self._lock:
            return self._in_flight > 0

    def submit(self, write: Callable[[], None]) -> None:
        """Run ``write`` after every write submitted before it. Errors are logged, not raised."""
        with self._lock:
            self._in_flight += 1
        self._executor.submit(self._run, write)

    async def settled(self) -> None:
        """Return once every write submitted before this call has finished."""
        barrier: Future[None] = self._executor.submit(lambda: None)
        await asyncio.wrap_future(barrier)

    def _run(self, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception:
            log.exception("breaker outcome not written")
        finally:
            with self._lock:
                self._in_flight -= 1
