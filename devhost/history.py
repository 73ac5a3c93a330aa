"""Durable Task history events, in the JSON shape the Python SDK's replay handler reads.

Every event has ``EventType``, ``EventId`` (the sequence id of what it schedules, else -1),
``IsPlayed`` and ``Timestamp``. ``Result`` and ``Input`` fields hold JSON text, as the Durable
extension sends them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

HistoryEvent = dict[str, Any]

_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class EventType(IntEnum):
    """The history event types this host writes (values from the Durable Task Framework)."""

    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_RAISED = 15


def timestamp(moment: datetime) -> str:
    """``2024-05-01T12:00:00.000000Z``: the SDK's own format, always UTC."""
    if moment.tzinfo is None:
        raise ValueError("history timestamps need a timezone-aware datetime")
    return moment.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp or ``fireAt`` written by the SDK or by :func:`timestamp`."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event(kind: EventType, at: datetime, event_id: int = -1, **fields: Any) -> HistoryEvent:
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": timestamp(at),
        **fields,
    }


def orchestrator_started(at: datetime) -> HistoryEvent:
    """Opens an episode; its timestamp becomes ``context.current_utc_datetime``."""
    return _event(EventType.ORCHESTRATOR_STARTED, at)


def orchestrator_completed(at: datetime) -> HistoryEvent:
    """Closes an episode."""
    return _event(EventType.ORCHESTRATOR_COMPLETED, at)


def execution_started(
    name: str, input_json: str | None, at: datetime, version: str = ""
) -> HistoryEvent:
    """The first event of an execution. The SDK (1.7.0) requires ``Version``."""
    return _event(EventType.EXECUTION_STARTED, at, Name=name, Input=input_json, Version=version)


def execution_completed(result_json: str | None, at: datetime) -> HistoryEvent:
    """The orchestrator returned."""
    return _event(EventType.EXECUTION_COMPLETED, at, Result=result_json, OrchestrationStatus=1)


def execution_failed(reason: str, at: datetime) -> HistoryEvent:
    """The orchestrator raised."""
    return _event(EventType.EXECUTION_FAILED, at, Reason=reason, OrchestrationStatus=3)


def execution_terminated(reason: str | None, at: datetime) -> HistoryEvent:
    """A client terminated the instance."""
    return _event(EventType.EXECUTION_TERMINATED, at, Input=reason)


def task_scheduled(seq: int, name: str, input_json: str | None, at: datetime) -> HistoryEvent:
    """An activity was scheduled as task ``seq``."""
    return _event(EventType.TASK_SCHEDULED, at, seq, Name=name, Input=input_json)


def task_completed(seq: int, result_json: str | None, at: datetime) -> HistoryEvent:
    """Activity task ``seq`` returned ``result_json``."""
    return _event(EventType.TASK_COMPLETED, at, TaskScheduledId=seq, Result=result_json)


def task_failed(seq: int, reason: str, details: str, at: datetime) -> HistoryEvent:
    """Activity task ``seq`` raised."""
    return _event(EventType.TASK_FAILED, at, TaskScheduledId=seq, Reason=reason, Details=details)


def timer_created(seq: int, fire_at: datetime, at: datetime) -> HistoryEvent:
    """A durable timer was created as task ``seq``."""
    return _event(EventType.TIMER_CREATED, at, seq, FireAt=timestamp(fire_at))


def timer_fired(seq: int, fire_at: datetime, at: datetime) -> HistoryEvent:
    """Durable timer ``seq`` fired."""
    return _event(EventType.TIMER_FIRED, at, TimerId=seq, FireAt=timestamp(fire_at))


def event_raised(name: str, input_json: str | None, at: datetime) -> HistoryEvent:
    """An external event arrived."""
    return _event(EventType.EVENT_RAISED, at, Name=name, Input=input_json)


def sub_orchestration_created(
    seq: int, name: str, instance_id: str, input_json: str | None, at: datetime
) -> HistoryEvent:
    """A sub-orchestration was started as task ``seq``."""
    return _event(
        EventType.SUB_ORCHESTRATION_CREATED,
        at,
        seq,
        Name=name,
        InstanceId=instance_id,
        Input=input_json,
    )


def sub_orchestration_completed(seq: int, result_json: str | None, at: datetime) -> HistoryEvent:
    """Sub-orchestration task ``seq`` completed."""
    return _event(
        EventType.SUB_ORCHESTRATION_COMPLETED, at, TaskScheduledId=seq, Result=result_json
    )


def sub_orchestration_failed(seq: int, reason: str, details: str, at: datetime) -> HistoryEvent:
    """Sub-orchestration task ``seq`` failed."""
    return _event(
        EventType.SUB_ORCHESTRATION_FAILED,
        at,
        TaskScheduledId=seq,
        Reason=reason,
        Details=details,
    )
