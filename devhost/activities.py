"""Running one activity as the Python worker does, and turning the result into an event.

The input crosses as JSON text and is decoded with the SDK's own
``ActivityTriggerConverter`` (JSON, or the raw text when it is not JSON); the return value
is encoded with the same converter. An exception becomes ``TaskFailed`` with its type and
message as the reason and the traceback as the details.
"""

from __future__ import annotations

import logging
import traceback
from concurrent.futures import Executor
from typing import Any

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost import history, invocation
from devhost.clock import Clock
from devhost.history import HistoryEvent
from devhost.index import ActivityFunction

logger = logging.getLogger(__name__)


def decode_input(input_json: str | None) -> Any:
    """The value an activity's input parameter receives."""
    datum = meta.Datum(value="null" if input_json is None else input_json, type="json")
    return ActivityTriggerConverter.decode(datum, trigger_metadata=None)


def encode_result(value: Any) -> str:
    """The JSON text an activity's return value becomes (``ValueError`` if not JSON-able)."""
    return str(ActivityTriggerConverter.encode(value, expected_type=None).value)


def failure_reason(exc: BaseException) -> tuple[str, str]:
    """``(Reason, Details)`` for a ``TaskFailed`` event."""
    reason = f"{type(exc).__name__}: {exc}"
    details = "".join(traceback.format_exception(exc))
    return reason, details


async def run(
    function: ActivityFunction | None,
    *,
    name: str,
    seq: int,
    input_json: str | None,
    executor: Executor,
    clock: Clock,
    client_binding: str | None = None,
) -> HistoryEvent:
    """Run activity ``name`` as task ``seq``; ``clock`` stamps the resulting event."""
    if function is None or function.info.disabled:
        reason = f"The function '{name}' doesn't exist, is disabled, or is not an activity."
        return history.task_failed(seq, reason, "", clock())
    try:
        value = decode_input(input_json)
        kwargs = invocation.arguments(function.info, value, client_binding)
        result = await invocation.call(function.info.handler, kwargs, executor)
        result_json = encode_result(result)
    except Exception as exc:
        logger.warning("activity %s raised %s", name, type(exc).__name__, exc_info=exc)
        reason, details = failure_reason(exc)
        return history.task_failed(seq, reason, details, clock())
    return history.task_completed(seq, result_json, clock())
