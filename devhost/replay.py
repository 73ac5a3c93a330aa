"""Fast, in-process orchestrator tests: replay a JSON history, or simulate in virtual time.

Both drive the SDK's own replay handle (``fn.get_user_function()`` of an orchestration
trigger, or ``Orchestrator.create(generator_fn)``), so what is tested is what runs in Azure.

Replay one episode of a hand-built history::

    builder = HistoryBuilder("chat", input_json='{"q": 1}', start=T0)
    builder.add(history.task_scheduled(0, "call_provider", None, T0))
    builder.new_episode(T0 + timedelta(seconds=1))
    builder.add(history.task_completed(0, '"hello"', T0 + timedelta(seconds=1)))
    state = builder.replay(handle)      # OrchestratorState: done, actions, output, error

Or run a whole orchestration against stub activities, with timers in virtual time::

    result = simulate(handle, {"q": 1}, start=T0, activities={
        "call_provider": lambda payload: Delayed("hello", after=timedelta(seconds=3)),
    })
    assert result.status is RuntimeStatus.COMPLETED

The simulation uses the dev host's own orchestration state machine, so it schedules,
retries, cancels timers and buffers external events exactly as the dev host does.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devhost import activities, history
from devhost.actions import OrchestratorHandle, OrchestratorState, run_handle
from devhost.history import HistoryEvent
from devhost.orchestration import (
    UPPER_SCHEMA_VERSION,
    UPPER_SCHEMA_VERSION_NEW,
    Command,
    Orchestration,
    RunActivity,
    RuntimeStatus,
    StartSubOrchestration,
    StartTimer,
)


class HistoryBuilder:
    """Builds an orchestration history episode by episode (see ``devhost.history``)."""

    def __init__(
        self,
        name: str,
        input_json: str | None = None,
        *,
        start: datetime,
        instance_id: str = "replay-instance",
    ) -> None:
        self.instance_id = instance_id
        self.input_json = input_json
        self._events: list[HistoryEvent] = [
            history.orchestrator_started(start),
            history.execution_started(name, input_json, start),
        ]

    def add(self, *events: HistoryEvent) -> HistoryBuilder:
        """Append events to the current (newest) episode."""
        self._events.extend(events)
        return self

    def new_episode(self, at: datetime) -> HistoryBuilder:
        """Close the current episode and open the next one at ``at``."""
        self._events.append(history.orchestrator_completed(at))
        for event in self._events:
            event["IsPlayed"] = True
        self._events.append(history.orchestrator_started(at))
        return self

    @property
    def events(self) -> list[HistoryEvent]:
        """A copy of the history so far."""
        return [dict(event) for event in self._events]

    def context_json(self) -> str:
        """The orchestration context JSON the Durable extension would send."""
        replaying = any(event["IsPlayed"] for event in self._events)
        return json.dumps(
            {
                "history": self._events,
                "instanceId": self.instance_id,
                "isReplaying": replaying,
                "parentInstanceId": None,
                "input": self.input_json,
                "upperSchemaVersion": UPPER_SCHEMA_VERSION,
                "upperSchemaVersionNew": UPPER_SCHEMA_VERSION_NEW,
            }
        )

    def replay(self, handle: OrchestratorHandle) -> OrchestratorState:
        """Run the handle once over this history."""
        return run_handle(handle, self.context_json())


@dataclass(frozen=True, slots=True)
class Delayed:
    """A stub activity's result arriving ``after`` some virtual time; ``error`` fails it."""

    value: Any = None
    after: timedelta = timedelta(0)
    error: Exception | None = None


@dataclass(frozen=True, slots=True)
class ExternalEvent:
    """An event raised ``at`` a virtual time."""

    name: str
    value: Any
    at: datetime


@dataclass(frozen=True, slots=True)
class ActivityCall:
    """One activity invocation seen by the simulation."""

    name: str
    input: Any
    at: datetime


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Where the simulated instance ended up."""

    status: RuntimeStatus
    output: Any
    custom_status: Any
    history: list[HistoryEvent]
    finished_at: datetime
    calls: tuple[ActivityCall, ...]


ActivityStub = Callable[[Any], Any]


@dataclass(order=True)
class _Due:
    at: datetime
    order: int
    deliver: Callable[[], None] = field(compare=False)


def simulate(
    handle: OrchestratorHandle,
    orchestration_input: Any = None,
    *,
    start: datetime,
    activities: Mapping[str, ActivityStub],
    events: Sequence[ExternalEvent] = (),
    name: str = "orchestrator",
    instance_id: str = "simulated-instance",
    max_episodes: int = 10_000,
) -> SimulationResult:
    """Run an orchestration to its end (or until nothing more can happen) in virtual time.

    Each stub gets the decoded activity input and returns the result, a :class:`Delayed`
    result, or raises (an immediate failure). Time only moves when nothing is left to do
    now, straight to the next due activity result, timer or external event.
    """
    input_json = None if orchestration_input is None else json.dumps(orchestration_input)
    instance = Orchestration(instance_id, name, input_json, start)
    queue: list[_Due] = []
    order = itertools.count()
    calls: list[ActivityCall] = []
    now = start

    def due(at: datetime, deliver: Callable[[], None]) -> None:
        heapq.heappush(queue, _Due(at, next(order), deliver))

    def deliver_later(at: datetime, event: HistoryEvent, execution: int) -> None:
        due(at, lambda: _ignore(instance.deliver(event, execution)))

    def carry_out(command: Command) -> None:
        # CancelTimer and Finished need nothing here: the instance drops a cancelled
        # timer's TimerFired itself, and the loop below stops once the instance finishes.
        if isinstance(command, RunActivity):
            event, after = _stub_result(command, activities, calls, now)
            deliver_later(now + after, event, command.execution)
        elif isinstance(command, StartTimer):
            fired = history.timer_fired(command.seq, command.fire_at, command.fire_at)
            deliver_later(command.fire_at, fired, command.execution)
        elif isinstance(command, StartSubOrchestration):
            raise NotImplementedError("simulate() does not run sub-orchestrations")

    def raise_later(external: ExternalEvent) -> None:
        value_json = json.dumps(external.value)
        due(external.at, lambda: instance.raise_event(external.name, value_json, external.at))

    for external in events:
        raise_later(external)

    episodes = 0
    while not instance.status.is_terminal:
        while instance.has_work:
            episodes += 1
            if episodes > max_episodes:
                raise RuntimeError(f"simulation exceeded {max_episodes} episodes")
            for command in instance.step(handle, now):
                carry_out(command)
        if instance.status.is_terminal or not queue:
            break
        next_due = heapq.heappop(queue)
        now = max(now, next_due.at)
        next_due.deliver()

    return SimulationResult(
        status=instance.status,
        output=instance.output,
        custom_status=instance.custom_status,
        history=instance.history,
        finished_at=now,
        calls=tuple(calls),
    )


def _ignore(_: object) -> None:
    return None


def _stub_result(
    command: RunActivity,
    stubs: Mapping[str, ActivityStub],
    calls: list[ActivityCall],
    now: datetime,
) -> tuple[HistoryEvent, timedelta]:
    stub = stubs.get(command.name)
    if stub is None:
        reason = f"The function '{command.name}' doesn't exist, is disabled, or is not an activity."
        return history.task_failed(command.seq, reason, "", now), timedelta(0)
    value = activities.decode_input(command.input_json)
    calls.append(ActivityCall(command.name, value, now))
    try:
        outcome = stub(value)
    except Exception as exc:  # noqa: BLE001 - a stub raising is the activity failing
        reason, details = activities.failure_reason(exc)
        return history.task_failed(command.seq, reason, details, now), timedelta(0)
    delayed = outcome if isinstance(outcome, Delayed) else Delayed(outcome)
    at = now + delayed.after
    if delayed.error is not None:
        reason, details = activities.failure_reason(delayed.error)
        return history.task_failed(command.seq, reason, details, at), delayed.after
    return history.task_completed(
        command.seq, activities.encode_result(delayed.value), at
    ), delayed.after
