"""Running the SDK's orchestrator handle once, and reading the state it returns.

The handle takes the orchestration context JSON and returns the state JSON: ``isDone``,
``actions``, ``output``, ``error``, ``customStatus``. When the orchestrator raises, the handle
raises too, carrying the state JSON after the ``$OutOfProcData$:`` marker. Actions are
flattened here: ``WhenAny``/``WhenAll`` compound actions (schema version 2 and later) and
the per-yield lists of schema version 1 both become one list in creation order, which is the
order in which the SDK gives out sequence ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

import azure.functions as func

from devhost.history import parse_timestamp

OUT_OF_PROC_MARKER = "$OutOfProcData$:"

OrchestratorHandle = Callable[[Any], Any]


class ActionType(IntEnum):
    """Action types from the SDK (``azure.durable_functions.models.actions.ActionType``)."""

    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``RetryOptions``: the Python SDK has a fixed interval and a maximum attempt count."""

    first_interval: timedelta
    max_attempts: int


@dataclass(frozen=True, slots=True)
class CallActivity:
    """Call an activity (with a retry policy for ``call_activity_with_retry``)."""

    name: str
    input_json: str | None
    retry: RetryPolicy | None = None


@dataclass(frozen=True, slots=True)
class CallSubOrchestrator:
    """Start a sub-orchestration and wait for it."""

    name: str
    input_json: str | None
    instance_id: str | None
    retry: RetryPolicy | None = None


@dataclass(frozen=True, slots=True)
class CreateTimer:
    """A durable timer; ``cancelled`` turns true in a later episode when it is cancelled."""

    fire_at: datetime
    cancelled: bool


@dataclass(frozen=True, slots=True)
class WaitForEvent:
    """Wait for an external event. Takes no sequence id."""

    name: str


@dataclass(frozen=True, slots=True)
class ContinueAsNew:
    """Restart the instance with a new input."""

    input_json: str | None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """An action this host does not implement (entities, durable HTTP)."""

    action_type: int


Action = (
    CallActivity | CallSubOrchestrator | CreateTimer | WaitForEvent | ContinueAsNew | Unsupported
)


@dataclass(frozen=True, slots=True)
class OrchestratorState:
    """What one run of the orchestrator handle decided."""

    done: bool
    actions: tuple[Action, ...]
    output: Any
    error: str | None
    custom_status: Any


def run_handle(handle: OrchestratorHandle, context_json: str) -> OrchestratorState:
    """Run the SDK handle once on ``context_json``; an orchestrator exception sets ``error``."""
    try:
        state_json = handle(func.OrchestrationContext(context_json))
    except Exception as exc:  # noqa: BLE001 - the SDK raises a bare Exception for any failure
        return _state_from_exception(exc)
    return parse_state(str(state_json))


def parse_state(state_json: str) -> OrchestratorState:
    """Parse the state JSON the handle returns."""
    state = json.loads(state_json)
    return OrchestratorState(
        done=bool(state.get("isDone")),
        actions=tuple(_flatten(state.get("actions", []))),
        output=state.get("output"),
        error=state.get("error") or None,
        custom_status=state.get("customStatus"),
    )


def _state_from_exception(exc: Exception) -> OrchestratorState:
    message = str(exc)
    head, marker, tail = message.partition(OUT_OF_PROC_MARKER)
    if not marker:
        return OrchestratorState(False, (), None, message or type(exc).__name__, None)
    state = parse_state(tail)
    error = state.error or head.strip() or type(exc).__name__
    return OrchestratorState(False, state.actions, None, error, state.custom_status)


def _flatten(raw: Any) -> list[Action]:
    if isinstance(raw, list):
        return [action for item in raw for action in _flatten(item)]
    if not isinstance(raw, dict):
        raise TypeError(f"unexpected action payload: {raw!r}")
    if "compoundActions" in raw:
        return _flatten(raw["compoundActions"])
    return [_parse_action(raw)]


def _parse_action(raw: dict[str, Any]) -> Action:
    kind = int(raw["actionType"])
    if kind in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
        return CallActivity(raw["functionName"], raw.get("input"), _retry(raw))
    if kind in (ActionType.CALL_SUB_ORCHESTRATOR, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
        return CallSubOrchestrator(
            raw["functionName"], raw.get("input"), raw.get("instanceId"), _retry(raw)
        )
    if kind == ActionType.CREATE_TIMER:
        return CreateTimer(parse_timestamp(raw["fireAt"]), bool(raw.get("isCanceled")))
    if kind == ActionType.WAIT_FOR_EXTERNAL_EVENT:
        return WaitForEvent(raw["externalEventName"])
    if kind == ActionType.CONTINUE_AS_NEW:
        return ContinueAsNew(raw.get("input"))
    return Unsupported(kind)


def _retry(raw: dict[str, Any]) -> RetryPolicy | None:
    options = raw.get("retryOptions")
    if not options:
        return None
    return RetryPolicy(
        first_interval=timedelta(milliseconds=int(options["firstRetryIntervalInMilliseconds"])),
        max_attempts=int(options["maxNumberOfAttempts"]),
    )
