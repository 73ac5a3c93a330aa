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

    def __post_init__(self) -> None:
        self._open(self.start)
        self._add(
            EXECUTION_STARTED,
            self.start,
            Name=self.name,
            Version="",
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

    def failed(self, seq: int, reason: str, at: datetime) -> None:
        self._open(at)
        self._add(TASK_FAILED, at, TaskScheduledId=seq, Reason=reason, Details=reason)

    def timer_fired(self, seq: int, fire_at: datetime) -> None:
        self._open(fire_at)
        self._add(TIMER_FIRED, fire_at, TimerId=seq, FireAt=_iso(fire_at))

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
