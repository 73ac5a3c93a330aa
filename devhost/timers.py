"""Timer triggers: each enabled timer function runs on its NCRONTAB schedule.

A run never overlaps the previous run of the same function: scheduled and on-demand runs
share one lock per function, and the next occurrence is computed after a run ends (a
missed occurrence is skipped, not queued). Time and sleeping are injected so the schedule
loop can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any

from azure.functions.timer import TimerRequest

from devhost.clock import Clock, utc_now
from devhost.index import TimerFunction

logger = logging.getLogger(__name__)

RunTimer = Callable[[TimerFunction, TimerRequest], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

# A run that starts this much later than scheduled is reported as past due.
_LATE = timedelta(seconds=1)


class TimerService:
    """Schedules the enabled timer functions and runs any timer function on demand."""

    def __init__(
        self,
        functions: Mapping[str, TimerFunction],
        run: RunTimer,
        *,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._functions = {name.lower(): fn for name, fn in functions.items()}
        self._run = run
        self._clock = clock
        self._sleep = sleep
        self._locks = {name: asyncio.Lock() for name in self._functions}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Start the schedule of every enabled timer (and its run on startup, if set)."""
        for function in self._functions.values():
            if function.info.disabled:
                continue
            if function.run_on_startup:
                self.trigger(function.info.name)
            self._spawn(self._schedule(function))

    async def stop(self) -> None:
        """Stop the schedules and cancel runs in progress."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def has(self, name: str) -> bool:
        """Whether ``name`` is a timer function (enabled or not)."""
        return name.lower() in self._functions

    def trigger(self, name: str) -> None:
        """Run a timer function now, in the background (errors are logged)."""
        self._spawn(self._logged(self.run_now(name), name))

    async def run_now(self, name: str) -> None:
        """Run a timer function now, even if disabled, and wait; its exception propagates."""
        function = self._functions.get(name.lower())
        if function is None:
            raise LookupError(f"no timer function named {name!r}")
        await self._invoke(function, scheduled=self._clock(), last=None)

    async def _schedule(self, function: TimerFunction) -> None:
        last: datetime | None = None
        while True:
            # Never before the previous occurrence, in case a sleep woke a little early.
            anchor = max(self._clock(), last) if last else self._clock()
            due = function.schedule.next_after(anchor)
            delay = (due - self._clock()).total_seconds()
            if delay > 0:
                await self._sleep(delay)
            await self._logged(self._invoke(function, scheduled=due, last=last), function.info.name)
            last = due

    async def _invoke(
        self, function: TimerFunction, scheduled: datetime, last: datetime | None
    ) -> None:
        async with self._locks[function.info.name.lower()]:
            now = self._clock()
            status = {
                "Next": function.schedule.next_after(scheduled).isoformat(),
                "LastUpdated": now.isoformat(),
            }
            if last is not None:
                status["Last"] = last.isoformat()
            request = TimerRequest(
                past_due=now - scheduled > _LATE,
                schedule_status=status,
                schedule={"AdjustForDST": True},
            )
            await self._run(function, request)

    async def _logged(self, run: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await run
        except Exception:
            logger.exception("timer function %s raised an exception", name)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
