"""Build Durable Functions history JSON and replay it through the SDK's real handler.

The orchestrator is run exactly as the Functions worker runs it: the SDK's
``Orchestrator.create(fn)`` handle receives the context JSON (history events as the Durable
extension writes them) and returns the orchestration state JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

ORCHESTRATOR_STARTED = 12
ORCHESTRATOR_COMPLETED = 13
EXECUTION_STARTED = 0
TASK_SCHEDULED = 4
TASK_COMPLETED = 5
TASK_FAILED = 6
TIMER_CREATED = 10
TIMER_FIRED = 11
EVENT_RAISED = 15


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class History:
    """A growing orchestration history; each ``episode`` is one replay of the orchestrator."""

    name: str
    input: Any
    start: datetime
    instance_id: str = "replay-test"
    events: list[dict[str, Any]] = field(default_factory=list)
    version: str = ""  # what the extension stamps from host.json's defaultVersion

    def __post_init__(self) -> None:
        if self.events:
            return  # a recorded history, resumed
        self._open(self.start)
        self._add(
            EXECUTION_STARTED,
            self.start,
            Name=self.name,
            Version=self.version,
            Input=json.dumps(self.input),
        )

    def _add(self, event_type: int, at: datetime, event_id: int = -1, **fields: Any) -> None:
        self.events.append(
            {
                "EventType": event_type,
                "EventId": event_id,
                "IsPlayed": False,
                "Timestamp": _iso(at),
                **fields,
            }
        )

    def _open(self, at: datetime) -> None:
        for event in self.events:
            event["IsPlayed"] = True
        self._add(ORCHESTRATOR_STARTED, at)

    def scheduled(self, seq: int, name: str, at: datetime) -> None:
        self._add(TASK_SCHEDULED, at, seq, Name=name)

    def timer_created(self, seq: int, fire_at: datetime, at: datetime) -> None:
        self._add(TIMER_CREATED, at, seq, FireAt=_iso(fire_at))

    def close(self, at: datetime) -> None:
        self._add(ORCHESTRATOR_COMPLETED, at)

    def completed(self, seq: int, result: Any, at: datetime) -> None:
        self._open(at)
        self._add(TASK_COMPLETED, at, TaskScheduledId=seq, Result=json.dumps(result))

    def completed_together(self, results: dict[int, Any], at: datetime) -> None:
        """Several activities' results in one episode (the extension batches what arrived)."""
        self._open(at)
        for seq, result in results.items():
            self._add(TASK_COMPLETED, at, TaskScheduledId=seq, Result=json.dumps(result))

    def failed(self, seq: int, reason: str, at: datetime) -> None:
        self._open(at)
        self._add(TASK_FAILED, at, TaskScheduledId=seq, Reason=reason, Details=reason)

    def timer_fired(self, seq: int, fire_at: datetime) -> None:
        self._open(fire_at)
        self._add(TIMER_FIRED, fire_at, TimerId=seq, FireAt=_iso(fire_at))

    def raised(self, name: str, data: Any, at: datetime) -> None:
        self._open(at)
        self._add(EVENT_RAISED, at, Name=name, Input=json.dumps(data))

    def context_json(self) -> str:
        return json.dumps(
            {
                "history": self.events,
                "instanceId": self.instance_id,
                "isReplaying": any(e["IsPlayed"] for e in self.events),
                "parentInstanceId": None,
                "input": json.dumps(self.input),
                "upperSchemaVersion": 2,
            }
        )


def replay(fn: Callable[..., Any], history: History) -> dict[str, Any]:
    """Run ``fn`` once over ``history`` through the SDK handler; return the state."""
    handle = df.Orchestrator.create(fn)
    state: dict[str, Any] = json.loads(handle(history.context_json()))
    return state


def flat_actions(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action the orchestrator has asked for so far, compound actions flattened."""
    out: list[dict[str, Any]] = []

    def walk(action: dict[str, Any]) -> None:
        out.append(action)
        for child in action.get("compoundActions", []) or []:
            walk(child)

    for group in state.get("actions", []):
        for action in group:
            walk(action)
    return out


def seconds_after(base: datetime, seconds: float) -> datetime:
    return base + timedelta(seconds=seconds)


CALL, CALL_WITH_RETRY, TIMER = 0, 1, 5


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


class Driver:
    """Drives one orchestration episode by episode, as the Durable extension would.

    After each replay, the actions not yet in history are recorded as scheduled (activities)
    or created (timers), in the order the SDK numbers them.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str,
        payload: Any,
        start: datetime,
        *,
        version: str = "",
    ) -> None:
        self.fn = fn
        self.history = History(name, payload, start, version=version)
        self.seq = 0
        self.state = self._episode(start)

    @classmethod
    def resume(cls, fn: Callable[..., Any], history: History) -> Driver:
        """Carry on from a recorded history (for example one recorded by an older version):
        replay it through ``fn`` as the new code would on its next episode."""
        driver = cls.__new__(cls)
        driver.fn = fn
        driver.history = history
        driver.seq = sum(e["EventType"] in (TASK_SCHEDULED, TIMER_CREATED) for e in history.events)
        driver.state = replay(fn, history)
        return driver

    def _episode(self, now: datetime) -> dict[str, Any]:
        state = replay(self.fn, self.history)
        scheduling = [
            a for a in flat_actions(state) if a["actionType"] in (CALL, CALL_WITH_RETRY, TIMER)
        ]
        for action in scheduling[self.seq :]:
            if action["actionType"] == TIMER:
                self.history.timer_created(self.seq, _parse(action["fireAt"]), now)
            else:
                self.history.scheduled(self.seq, action["functionName"], now)
            self.seq += 1
        self.history.close(now)
        return state

    @property
    def done(self) -> bool:
        return bool(self.state["isDone"])

    @property
    def output(self) -> Any:
        return self.state.get("output")

    def calls(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every activity call so far, with its decoded input and sequence number."""
        out = []
        seq = 0
        for action in flat_actions(self.state):
            if action["actionType"] in (CALL, CALL_WITH_RETRY, TIMER):
                if action["actionType"] != TIMER and name in (None, action["functionName"]):
                    out.append(
                        {
                            "seq": seq,
                            "name": action["functionName"],
                            "input": json.loads(action["input"]),
                        }
                    )
                seq += 1
        return out

    def timers(self) -> list[dict[str, Any]]:
        out = []
        seq = 0
        for action in flat_actions(self.state):
            if action["actionType"] in (CALL, CALL_WITH_RETRY, TIMER):
                if action["actionType"] == TIMER:
                    out.append({"seq": seq, **action})
                seq += 1
        return out

    def complete(self, seq: int, result: Any, now: datetime) -> dict[str, Any]:
        self.history.completed(seq, result, now)
        self.state = self._episode(now)
        return self.state

    def complete_together(self, results: dict[int, Any], now: datetime) -> dict[str, Any]:
        self.history.completed_together(results, now)
        self.state = self._episode(now)
        return self.state

    def fail(self, seq: int, now: datetime) -> dict[str, Any]:
        self.history.failed(seq, "boom", now)
        self.state = self._episode(now)
        return self.state

    def fire(self, seq: int) -> dict[str, Any]:
        timer = next(t for t in self.timers() if t["seq"] == seq)
        fire_at = _parse(timer["fireAt"])
        self.history.timer_fired(seq, fire_at)
        self.state = self._episode(fire_at)
        return self.state

    def raise_event(self, name: str, data: Any, now: datetime) -> dict[str, Any]:
        self.history.raised(name, data, now)
        self.state = self._episode(now)
        return self.state
