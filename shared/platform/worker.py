"""One background thread that runs submitted work in order, and can be waited for.

A daemon thread, not a pool: at interpreter exit Python joins pool threads until their queues
are empty (however long the storage behind them takes) before any ``atexit`` hook runs, while
a daemon thread keeps working during the hooks. So a stopping process can wait for it with a
bound of its own (:meth:`SerialWorker.wait`) and then take back what is left.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)


class SerialWorker:
    """Runs callables one at a time, first in, first out, on a thread started on demand."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._items: deque[Callable[[], None]] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._submitted = 0
        self._done = 0

    def submit(self, work: Callable[[], None]) -> None:
        """Run ``work`` after everything submitted before it; its errors are logged."""
        with self._changed:
            self._items.append(work)
            self._submitted += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._changed.notify_all()

    @property
    def busy(self) -> bool:
        """True while submitted work has not finished."""
        with self._changed:
            return self._done < self._submitted

    def wait(self, timeout_s: float | None) -> bool:
        """Wait until the work submitted so far has run; False if ``timeout_s`` ran out."""
        with self._changed:
            target = self._submitted
        return self._wait_for(target, timeout_s)

    async def settled(self) -> None:
        """Return once the work submitted before this call has run."""
        with self._changed:
            target = self._submitted
        await asyncio.to_thread(self._wait_for, target, None)

    def _wait_for(self, target: int, timeout_s: float | None) -> bool:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._changed:
            while self._done < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._items:
                    self._changed.wait()
                work = self._items.popleft()
            try:
                work()
            except Exception:
                log.exception("background work failed on %s", self._name)
            finally:
                with self._changed:
                    self._done += 1
                    self._changed.notify_all()
