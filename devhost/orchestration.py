"""One orchestration instance as a state machine, free of I/O (the engine does the I/O).

Events wait in an inbox; :meth:`Orchestration.step` takes one and runs one episode: it
appends ``OrchestratorStarted`` and the event to the history, replays the whole history
through the SDK's handle, records what the new actions schedule (``TaskScheduled``,
``TimerCreated``, ``SubOrchestrationInstanceCreated``), appends ``OrchestratorCompleted`` and
returns :data:`Command` values for the engine to carry out.

Sequence ids follow the SDK: one per activity, timer and sub-orchestration, in creation
order. The SDK reports every action from the start on each replay, so the first
``_actions_seen`` are old; only the rest are scheduled. A retry (``*_with_retry``) is run
here, as the Durable Task Framework runs it: after each failure a timer, after the timer the
next attempt, and one last timer after the final failure, each taking the next sequence id.
Because every episode takes exactly one event, those ids are given out in the same order as
the SDK gives them out.

External events are delivered only while the orchestrator waits for one of that name (the
rest are buffered in arrival order): the SDK warns about, and defers, events nobody waits
for. Like Azure, an instance whose orchestrator has returned stays ``Running`` until its
uncancelled timers have fired; a cancelled timer never fires.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from devhost import history
from devhost.actions import (
    Action,
    CallActivity,
    CallSubOrchestrator,
    ContinueAsNew,
    CreateTimer,
    OrchestratorHandle,
    OrchestratorState,
    RetryPolicy,
    Unsupported,
    WaitForEvent,
    run_handle,
)
from devhost.history import EventType, HistoryEvent

# The Durable extension offers schema V2 (compound WhenAny/WhenAll actions) as
# upperSchemaVersion and V3 as upperSchemaVersionNew; without the long-timer settings V3
# behaves as V2.
UPPER_SCHEMA_VERSION = 1
UPPER_SCHEMA_VERSION_NEW = 2


class RuntimeStatus(StrEnum):
    """``runtimeStatus`` values, as the Durable HTTP API spells them."""

    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    TERMINATED = "Terminated"

    @property
    def is_terminal(self) -> bool:
        """Whether the instance has finished for good."""
        return self in (RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED)


@dataclass(frozen=True, slots=True)
class RunActivity:
    """Run activity ``name`` as task ``seq``; deliver its TaskCompleted/TaskFailed later."""

    seq: int
    name: str
    input_json: str | None
    execution: int


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Deliver TimerFired for ``seq`` at ``fire_at``."""

    seq: int
    fire_at: datetime
    execution: int


@dataclass(frozen=True, slots=True)
class CancelTimer:
    """Timer ``seq`` must never fire."""

    seq: int


@dataclass(frozen=True, slots=True)
class StartSubOrchestration:
    """Start orchestrator ``name`` as ``instance_id``; report back as task ``seq``."""

    seq: int
    name: str
    instance_id: str
    input_json: str | None
    execution: int


@dataclass(frozen=True, slots=True)
class Finished:
    """The instance reached a terminal status (the engine tells a parent, if any)."""

    status: RuntimeStatus
    output: Any


Command = RunActivity | StartTimer | CancelTimer | StartSubOrchestration | Finished

_COMPLETIONS = (EventType.TASK_COMPLETED, EventType.SUB_ORCHESTRATION_COMPLETED)
_FAILURES = (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED)


@dataclass(slots=True)
class _Retry:
    """A ``*_with_retry`` call in progress."""

    call: CallActivity | CallSubOrchestrator
    policy: RetryPolicy
    attempt: int = 1


class Orchestration:
    """The state of one orchestration instance. Not thread-safe: one owner drives it."""

    def __init__(
        self,
        instance_id: str,
        name: str,
        input_json: str | None,
        now: datetime,
        parent_instance_id: str | None = None,
        *,
        version: str = "",
    ) -> None:
        self.instance_id = instance_id
        self.name = name
        self.version = version  # stamped at creation, as the extension's defaultVersion is
        self.parent_instance_id = parent_instance_id
        self.created = now
        self.last_updated = now
        self.status = RuntimeStatus.PENDING
        self.output: Any = None
        self.custom_status: Any = None
        self.execution = 0
        self._buffered: deque[HistoryEvent] = deque()
        self._start_execution(input_json, now)

    @property
    def history(self) -> list[HistoryEvent]:
        """A copy of the current execution's history."""
        return [dict(event) for event in self._history]

    @property
    def has_work(self) -> bool:
        """Whether :meth:`step` has an event to process."""
        return not self.status.is_terminal and bool(self._inbox)

    def deliver(self, event: HistoryEvent, execution: int) -> bool:
        """Queue the result of something this instance scheduled in ``execution``.

        Results for a finished instance or an earlier execution (before continue-as-new) are
        dropped, as the Durable Task Framework drops them. Returns whether it was queued.
        """
        if self.status.is_terminal or execution != self.execution:
            return False
        if event["EventType"] == EventType.TIMER_FIRED and event["TimerId"] in self._cancelled:
            return False
        self._inbox.append(event)
        return True

    def raise_event(self, name: str, input_json: str | None, now: datetime) -> None:
        """Accept an external event (the caller has checked that the instance is live)."""
        self._buffered.append(history.event_raised(name, input_json, now))
        self._release_buffered_events()

    def terminate(self, reason: str | None, now: datetime) -> list[Command]:
        """Terminate a live instance."""
        self._history.append(history.execution_terminated(reason, now))
        return self._finish(RuntimeStatus.TERMINATED, reason, now)

    def step(self, handle: OrchestratorHandle, now: datetime) -> list[Command]:
        """Run one episode for the next event in the inbox."""
        if not self.has_work:
            return []
        event = self._inbox.popleft()
        self.status = RuntimeStatus.RUNNING
        if event["EventType"] == EventType.TIMER_FIRED:
            self._pending_timers.discard(event["TimerId"])
        episode = [history.orchestrator_started(now), event]
        state = run_handle(handle, self._context_json(episode))
        self._history.extend(episode)
        self.custom_status = state.custom_status
        # Once the orchestrator has returned, the SDK stops replaying, so it takes no more
        # sequence ids for retries; neither do we.
        commands = [] if state.done else self._follow_retry(event, now)
        restart: ContinueAsNew | None = None
        if state.error is not None:
            commands += self._fail(
                f"Orchestrator function '{self.name}' failed: {state.error}", now
            )
        else:
            commands += self._schedule(state.actions, now)
            if state.done and not self.status.is_terminal:
                restart = next((a for a in state.actions if isinstance(a, ContinueAsNew)), None)
                commands += self._on_return(state, restart, now)
        self._history.append(history.orchestrator_completed(now))
        for past in self._history:
            past["IsPlayed"] = True
        self.last_updated = now
        if restart is not None:
            self._start_execution(restart.input_json, now)
        self._release_buffered_events()
        return commands

    def _on_return(
        self, state: OrchestratorState, restart: ContinueAsNew | None, now: datetime
    ) -> list[Command]:
        if restart is not None:
            return [CancelTimer(seq) for seq in sorted(self._pending_timers)]
        if self._pending_timers:
            return []  # Completed only once its uncancelled timers have fired, as in Azure.
        return self._complete(state, now)

    def _start_execution(self, input_json: str | None, now: datetime) -> None:
        self.execution += 1
        self.input_json = input_json
        self._history: list[HistoryEvent] = []
        self._inbox: deque[HistoryEvent] = deque(
            [history.execution_started(self.name, input_json, now, self.version)]
        )
        self._actions_seen = 0
        self._next_seq = 0
        self._timer_by_action: dict[int, int] = {}
        self._pending_timers: set[int] = set()
        self._cancelled: set[int] = set()
        self._retries: dict[int, _Retry] = {}
        self._retry_timers: dict[int, _Retry] = {}
        self._waits: Counter[str] = Counter()
        self._delivered: Counter[str] = Counter()

    def _context_json(self, episode: Sequence[HistoryEvent]) -> str:
        return json.dumps(
            {
                "history": [*self._history, *episode],
                "instanceId": self.instance_id,
                "isReplaying": bool(self._history),
                "parentInstanceId": self.parent_instance_id,
                "input": self.input_json,
                "upperSchemaVersion": UPPER_SCHEMA_VERSION,
                "upperSchemaVersionNew": UPPER_SCHEMA_VERSION_NEW,
            }
        )

    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def _schedule(self, actions: tuple[Action, ...], now: datetime) -> list[Command]:
        commands: list[Command] = []
        for index, action in enumerate(actions):
            if index < self._actions_seen:
                seq = self._timer_by_action.get(index)
                if isinstance(action, CreateTimer) and action.cancelled and seq is not None:
                    commands += self._cancel_timer(seq)
                continue
            if isinstance(action, CallActivity | CallSubOrchestrator):
                seq = self._take_seq()
                commands.append(self._start_call(seq, action, now))
                if action.retry is not None:
                    self._retries[seq] = _Retry(action, action.retry)
            elif isinstance(action, CreateTimer):
                seq = self._take_seq()
                self._timer_by_action[index] = seq
                self._history.append(history.timer_created(seq, action.fire_at, now))
                if not action.cancelled:
                    self._pending_timers.add(seq)
                    commands.append(StartTimer(seq, action.fire_at, self.execution))
            elif isinstance(action, Unsupported):
                return commands + self._fail(
                    f"action type {action.action_type} is not supported by the dev host", now
                )
        self._actions_seen = len(actions)
        self._waits = Counter(a.name for a in actions if isinstance(a, WaitForEvent))
        return commands

    def _start_call(
        self, seq: int, call: CallActivity | CallSubOrchestrator, now: datetime
    ) -> RunActivity | StartSubOrchestration:
        if isinstance(call, CallActivity):
            self._history.append(history.task_scheduled(seq, call.name, call.input_json, now))
            return RunActivity(seq, call.name, call.input_json, self.execution)
        child_id = call.instance_id or f"{self.instance_id}:{seq}"
        self._history.append(
            history.sub_orchestration_created(seq, call.name, child_id, call.input_json, now)
        )
        return StartSubOrchestration(seq, call.name, child_id, call.input_json, self.execution)

    def _follow_retry(self, event: HistoryEvent, now: datetime) -> list[Command]:
        kind = event["EventType"]
        if kind in _COMPLETIONS:
            self._retries.pop(event["TaskScheduledId"], None)
        elif kind in _FAILURES:
            retry = self._retries.pop(event["TaskScheduledId"], None)
            if retry is not None:
                seq = self._take_seq()
                fire_at = now + retry.policy.first_interval
                self._history.append(history.timer_created(seq, fire_at, now))
                self._pending_timers.add(seq)
                self._retry_timers[seq] = retry
                return [StartTimer(seq, fire_at, self.execution)]
        elif kind == EventType.TIMER_FIRED:
            retry = self._retry_timers.pop(event["TimerId"], None)
            if retry is not None and retry.attempt < retry.policy.max_attempts:
                retry.attempt += 1
                seq = self._take_seq()
                self._retries[seq] = retry
                return [self._start_call(seq, retry.call, now)]
        return []

    def _cancel_timer(self, seq: int) -> list[Command]:
        if seq not in self._pending_timers:
            return []
        self._pending_timers.discard(seq)
        self._cancelled.add(seq)
        self._inbox = deque(
            e
            for e in self._inbox
            if not (e["EventType"] == EventType.TIMER_FIRED and e["TimerId"] == seq)
        )
        return [CancelTimer(seq)]

    def _complete(self, state: OrchestratorState, now: datetime) -> list[Command]:
        output_json = None if state.output is None else json.dumps(state.output)
        self._history.append(history.execution_completed(output_json, now))
        return self._finish(RuntimeStatus.COMPLETED, state.output, now)

    def _fail(self, message: str, now: datetime) -> list[Command]:
        self._history.append(history.execution_failed(message, now))
        return self._finish(RuntimeStatus.FAILED, message, now)

    def _finish(self, status: RuntimeStatus, output: Any, now: datetime) -> list[Command]:
        commands: list[Command] = [CancelTimer(seq) for seq in sorted(self._pending_timers)]
        self._cancelled.update(self._pending_timers)
        self._pending_timers.clear()
        self._inbox.clear()
        self._buffered.clear()
        self.status = status
        self.output = output
        self.last_updated = now
        commands.append(Finished(status, output))
        return commands

    def _release_buffered_events(self) -> None:
        if self.status.is_terminal:
            return
        kept: deque[HistoryEvent] = deque()
        for event in self._buffered:
            name = event["Name"]
            if self._delivered[name] < self._waits[name]:
                self._delivered[name] += 1
                self._inbox.append(event)
            else:
                kept.append(event)
        self._buffered = kept
