"""The Durable engine: orchestration instances in memory, driven on the host's event loop.

Each instance is an :class:`~devhost.orchestration.Orchestration` state machine; this module
does its I/O. Starting an instance queues its first episode with ``loop.call_soon``, so it
runs as soon as the start request has been answered. Every later event (an activity result,
a timer, an external event, a sub-orchestration result) queues one more episode.
Activities run as tasks (in the thread pool when they are synchronous); durable timers are
``loop.call_later`` handles on the real clock. Orchestrator handles run inline on the loop:
orchestrators must be deterministic and non-blocking anyway, and that keeps each episode
atomic. Everything here must be called on the loop's thread.

``hop_delay_s`` stands for the queue a Durable message crosses in Azure (the control and
work-item queues of the Azure Storage backend, or the Durable Task Scheduler's dispatch):
each hop of a message waits that long before it is handled. The hops are: start to the first
episode, an episode to each activity it schedules, an activity's result back to the
orchestration, a durable timer's firing, a raised event, and a sub-orchestration's start and
result. ``sleep`` is injected so tests can observe the hops without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from devhost import activities, history
from devhost.clock import Clock, utc_now
from devhost.history import HistoryEvent
from devhost.index import ActivityFunction, OrchestratorFunction
from devhost.orchestration import (
    CancelTimer,
    Command,
    Finished,
    Orchestration,
    RunActivity,
    RuntimeStatus,
    StartSubOrchestration,
    StartTimer,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_FINISHED = 10_000

Sleep = Callable[[float], Awaitable[None]]


class UnknownOrchestratorError(LookupError):
    """No enabled orchestrator function has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function."
        )


class InstanceExistsError(RuntimeError):
    """A live instance already has this id (Azure refuses to replace it)."""

    def __init__(self, status: RuntimeStatus) -> None:
        super().__init__(f"An Orchestration instance with the status {status} already exists.")


class ControlOutcome(Enum):
    """What happened to a terminate or raise-event request."""

    ACCEPTED = "accepted"
    NOT_FOUND = "not_found"
    GONE = "gone"


@dataclass(eq=False, slots=True)
class _Live:
    """An instance and the I/O the engine holds for it."""

    orchestration: Orchestration
    function: OrchestratorFunction
    parent: tuple[_Live, int, int] | None  # parent, task sequence id, parent execution
    timers: dict[int, asyncio.TimerHandle] = field(default_factory=dict)
    pump_queued: bool = False


class DurableEngine:
    """Orchestration instances and their scheduling."""

    def __init__(
        self,
        orchestrators: Mapping[str, OrchestratorFunction],
        activity_functions: Mapping[str, ActivityFunction],
        executor: Executor,
        *,
        clock: Clock = utc_now,
        new_instance_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        max_finished: int = DEFAULT_MAX_FINISHED,
        client_binding: str | None = None,
        default_version: str = "",
        hop_delay_s: float = 0.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if hop_delay_s < 0:
            raise ValueError("the Durable hop delay cannot be negative")
        # Function names are case-insensitive in Azure.
        self._orchestrators = {name.lower(): fn for name, fn in orchestrators.items()}
        self._activities = {name.lower(): fn for name, fn in activity_functions.items()}
        self._executor = executor
        self._clock = clock
        self._new_instance_id = new_instance_id
        self._max_finished = max_finished
        self._client_binding = client_binding
        self._default_version = default_version
        self._hop_s = hop_delay_s
        self._sleep = sleep
        self._instances: dict[str, _Live] = {}
        self._finished: deque[_Live] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def start(
        self, name: str, instance_id: str | None = None, input_json: str | None = None
    ) -> str:
        """Create an instance and queue its first episode; return its id."""
        return self._create(name, instance_id, input_json, parent=None)

    def _create(
        self,
        name: str,
        instance_id: str | None,
        input_json: str | None,
        parent: tuple[_Live, int, int] | None,
    ) -> str:
        if self._closed:
            raise RuntimeError("the Durable engine has stopped")
        function = self._orchestrators.get(name.lower())
        if function is None or function.info.disabled:
            raise UnknownOrchestratorError(name)
        instance_id = instance_id or self._new_instance_id()
        existing = self._instances.get(instance_id)
        if existing is not None and not existing.orchestration.status.is_terminal:
            raise InstanceExistsError(existing.orchestration.status)
        parent_id = parent[0].orchestration.instance_id if parent else None
        orchestration = Orchestration(
            instance_id,
            function.info.name,
            input_json,
            self._clock(),
            parent_id,
            version=self._default_version,
        )
        live = _Live(orchestration, function, parent)
        self._instances[instance_id] = live
        self._after_hop(lambda: self._queue_pump(live))
        return instance_id

    def get(self, instance_id: str) -> Orchestration | None:
        """The instance, for reading only."""
        live = self._instances.get(instance_id)
        return live.orchestration if live else None

    def all(self) -> list[Orchestration]:
        """Every instance held, for reading only."""
        return [live.orchestration for live in self._instances.values()]

    def terminate(self, instance_id: str, reason: str | None) -> ControlOutcome:
        """Terminate a live instance (its running activities finish, unheard)."""
        live = self._instances.get(instance_id)
        if live is None:
            return ControlOutcome.NOT_FOUND
        if live.orchestration.status.is_terminal:
            return ControlOutcome.GONE
        self._carry_out(live, live.orchestration.terminate(reason, self._clock()))
        return ControlOutcome.ACCEPTED

    def raise_event(self, instance_id: str, name: str, input_json: str | None) -> ControlOutcome:
        """Send an external event to a live instance."""
        live = self._instances.get(instance_id)
        if live is None:
            return ControlOutcome.NOT_FOUND
        if live.orchestration.status.is_terminal:
            return ControlOutcome.GONE

        def arrive() -> None:
            if (
                self._instances.get(instance_id) is live
                and not live.orchestration.status.is_terminal
            ):
                live.orchestration.raise_event(name, input_json, self._clock())
                self._queue_pump(live)

        self._after_hop(arrive)
        return ControlOutcome.ACCEPTED

    def purge(self, instance_id: str) -> int:
        """Forget a finished instance entirely: its input, output and history, however large.

        As with the extension's backends, an instance that is still pending or running is not
        purged (terminate it, then purge it once it has stopped). Returns how many went.
        """
        live = self._instances.get(instance_id)
        if live is None or not live.orchestration.status.is_terminal:
            return 0
        del self._instances[instance_id]
        with contextlib.suppress(ValueError):  # every finished instance is retired; be safe
            self._finished.remove(live)
        return 1

    async def close(self) -> None:
        """Stop everything: no timer fires and no activity result arrives after this."""
        self._closed = True
        for live in self._instances.values():
            for timer in live.timers.values():
                timer.cancel()
            live.timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _queue_pump(self, live: _Live) -> None:
        if not live.pump_queued and live.orchestration.has_work and not self._closed:
            live.pump_queued = True
            asyncio.get_running_loop().call_soon(self._pump, live)

    def _pump(self, live: _Live) -> None:
        # One episode per callback, so a busy instance cannot starve HTTP requests.
        live.pump_queued = False
        if self._closed or self._instances.get(live.orchestration.instance_id) is not live:
            return
        handle = live.function.info.handler
        self._carry_out(live, live.orchestration.step(handle, self._clock()))
        self._queue_pump(live)

    def _carry_out(self, live: _Live, commands: list[Command]) -> None:
        for command in commands:
            if isinstance(command, RunActivity):
                self._spawn(self._run_activity(live, command))
            elif isinstance(command, StartTimer):
                self._start_timer(live, command)
            elif isinstance(command, CancelTimer):
                timer = live.timers.pop(command.seq, None)
                if timer is not None:
                    timer.cancel()
            elif isinstance(command, StartSubOrchestration):
                self._start_child(live, command)
            elif isinstance(command, Finished):
                self._on_finished(live, command)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _after_hop(self, arrive: Callable[[], None]) -> None:
        """Run ``arrive`` once a message has crossed its queue (at once when there is none)."""
        if self._hop_s <= 0:
            arrive()
            return

        async def crossing() -> None:
            await self._sleep(self._hop_s)
            if not self._closed:
                arrive()

        self._spawn(crossing())

    async def _hop(self) -> None:
        if self._hop_s > 0:
            await self._sleep(self._hop_s)

    async def _run_activity(self, live: _Live, command: RunActivity) -> None:
        await self._hop()  # the work item's queue
        function = self._activities.get(command.name.lower())
        event = await activities.run(
            function,
            name=command.name,
            seq=command.seq,
            input_json=command.input_json,
            executor=self._executor,
            clock=self._clock,
            client_binding=self._client_binding,
        )
        self._after_hop(lambda: self._deliver(live, event, command.execution))

    def _start_timer(self, live: _Live, command: StartTimer) -> None:
        delay = max(0.0, (command.fire_at - self._clock()).total_seconds())
        live.timers[command.seq] = asyncio.get_running_loop().call_later(
            delay, self._fire_timer, live, command
        )

    def _fire_timer(self, live: _Live, command: StartTimer) -> None:
        live.timers.pop(command.seq, None)
        event = history.timer_fired(command.seq, command.fire_at, self._clock())
        # A timer cancelled while its message crosses the queue is dropped by deliver().
        self._after_hop(lambda: self._deliver(live, event, command.execution))

    def _start_child(self, live: _Live, command: StartSubOrchestration) -> None:
        try:
            self._create(
                command.name,
                command.instance_id,
                command.input_json,
                parent=(live, command.seq, command.execution),
            )
        except (UnknownOrchestratorError, InstanceExistsError) as exc:
            event = history.sub_orchestration_failed(command.seq, str(exc), "", self._clock())
            self._deliver(live, event, command.execution)

    def _on_finished(self, live: _Live, command: Finished) -> None:
        for timer in live.timers.values():
            timer.cancel()
        live.timers.clear()
        if live.parent is not None:
            parent, seq, execution = live.parent
            now = self._clock()
            if command.status is RuntimeStatus.COMPLETED:
                output = None if command.output is None else json.dumps(command.output)
                event = history.sub_orchestration_completed(seq, output, now)
            else:
                # A failed child's output already reads "Orchestrator function ... failed".
                failed = command.status is RuntimeStatus.FAILED
                reason = str(command.output) if failed else f"Terminated: {command.output}"
                event = history.sub_orchestration_failed(seq, reason, "", now)
            self._after_hop(lambda: self._deliver(parent, event, execution))
        self._retire(live)

    def _deliver(self, live: _Live, event: HistoryEvent, execution: int) -> None:
        if self._instances.get(live.orchestration.instance_id) is not live:
            return  # purged, or replaced by a new instance with the same id
        if live.orchestration.deliver(event, execution):
            self._queue_pump(live)

    def _retire(self, live: _Live) -> None:
        # Bound memory for long dev sessions: forget the oldest finished instances.
        self._finished.append(live)
        while len(self._finished) > self._max_finished:
            oldest = self._finished.popleft()
            instance_id = oldest.orchestration.instance_id
            if self._instances.get(instance_id) is oldest:
                del self._instances[instance_id]
