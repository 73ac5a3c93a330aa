"""Replaying hand-built histories through the SDK handle (pure)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from devhost import history
from devhost.actions import CallActivity, CreateTimer, run_handle
from devhost.replay import HistoryBuilder

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=1)


def _greet(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    name = context.get_input()
    greeting = yield context.call_activity("greet", name)
    return greeting.upper()


GREET = df.Orchestrator.create(_greet)


def test_the_first_episode_asks_for_the_activity() -> None:
    """Replaying just the start yields one CallActivity with the JSON input."""
    state = HistoryBuilder("greet", '"eve"', start=T0).replay(GREET)
    assert not state.done
    assert state.actions == (CallActivity("greet", '"eve"'),)


def test_a_completed_activity_lets_the_orchestrator_return() -> None:
    """With TaskCompleted in a new episode, the orchestrator returns its output."""
    builder = HistoryBuilder("greet", '"eve"', start=T0)
    builder.add(history.task_scheduled(0, "greet", '"eve"', T0))
    builder.new_episode(T1).add(history.task_completed(0, '"hello eve"', T1))
    state = builder.replay(GREET)
    assert (state.done, state.output, state.error) == (True, "HELLO EVE", None)


def test_a_failed_activity_becomes_the_orchestrator_error() -> None:
    """An unhandled TaskFailed surfaces as the state's error (the handle raised)."""
    builder = HistoryBuilder("greet", '"eve"', start=T0)
    builder.add(history.task_scheduled(0, "greet", '"eve"', T0))
    builder.new_episode(T1).add(history.task_failed(0, "ValueError: no", "trace", T1))
    state = builder.replay(GREET)
    assert state.error is not None
    assert state.error.startswith("ValueError: no")


def _timer(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=5))
    return "woke"


def test_timers_are_read_with_their_fire_time() -> None:
    """CreateTimer actions carry fireAt relative to the episode's timestamp."""
    state = HistoryBuilder("timer", start=T0).replay(df.Orchestrator.create(_timer))
    assert state.actions == (CreateTimer(T0 + timedelta(seconds=5), cancelled=False),)


def test_a_handle_failure_without_sdk_state_is_still_an_error() -> None:
    """A handle that raises before producing state reports the exception text."""

    def broken(context: Any) -> str:
        raise RuntimeError("no state")

    state = run_handle(broken, "{}")
    assert (state.done, state.error) == (False, "no state")
