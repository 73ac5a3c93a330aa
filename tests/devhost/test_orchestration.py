"""The orchestration state machine, driven through the SDK's real replay handle (pure).

Time is virtual: ``simulate`` jumps straight to the next due result or timer.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import pytest

from devhost import history
from devhost.history import EventType
from devhost.orchestration import CancelTimer, Finished, Orchestration, RunActivity, RuntimeStatus
from devhost.replay import Delayed, ExternalEvent, simulate

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
Context = df.DurableOrchestrationContext


def _race(context: Context) -> Generator[Any, Any, Any]:
    settings = context.get_input()
    work = context.call_activity("work", settings)
    timer = context.create_timer(context.current_utc_datetime + timedelta(seconds=10))
    winner = yield context.task_any([work, timer])
    if winner != work:
        return "timeout"
    if settings.get("cancel", True):
        timer.cancel()
    try:
        return (yield work)
    except Exception as exc:  # noqa: BLE001 - the SDK re-raises a failed activity as Exception
        return f"failed: {str(exc).splitlines()[0]}"


RACE = df.Orchestrator.create(_race)


def _after(seconds: float, value: Any = "done") -> Any:
    return lambda _: Delayed(value, after=timedelta(seconds=seconds))


def test_an_activity_that_wins_the_race_completes_the_instance_at_once() -> None:
    """The timer is cancelled, so the instance finishes when the activity does."""
    result = simulate(RACE, {}, start=T0, activities={"work": _after(2)})
    assert (result.status, result.output) == (RuntimeStatus.COMPLETED, "done")
    assert result.finished_at == T0 + timedelta(seconds=2)


def test_the_timer_wins_when_the_activity_is_slow() -> None:
    """A slow activity loses to the timer; the orchestrator sees the timeout."""
    result = simulate(RACE, {}, start=T0, activities={"work": _after(30)})
    assert (result.output, result.finished_at) == ("timeout", T0 + timedelta(seconds=10))


def test_an_uncancelled_timer_keeps_the_instance_running_until_it_fires() -> None:
    """As in Azure: the orchestrator returned at 2 s, the instance completes at 10 s."""
    result = simulate(RACE, {"cancel": False}, start=T0, activities={"work": _after(2)})
    assert result.output == "done"
    assert result.finished_at == T0 + timedelta(seconds=10)


def test_a_cancelled_timer_never_fires() -> None:
    """No TimerFired event is ever recorded for the cancelled timer."""
    result = simulate(RACE, {}, start=T0, activities={"work": _after(2)})
    fired = [e for e in result.history if e["EventType"] == EventType.TIMER_FIRED]
    assert fired == []


def test_a_failed_activity_raises_in_the_orchestrator_when_re_yielded() -> None:
    """The failure wins task_any; yielding the task again raises its exception."""
    failing = {"work": lambda _: Delayed(error=ValueError("provider down"))}
    result = simulate(RACE, {}, start=T0, activities=failing)
    assert result.output == "failed: ValueError: provider down "


def _with_retry(context: Context) -> Generator[Any, Any, Any]:
    options = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=3)
    try:
        value = yield context.call_activity_with_retry("flaky", options, "x")
    except Exception:  # noqa: BLE001 - the SDK re-raises a failed activity as Exception
        value = "gave up"
    after = yield context.call_activity("echo", value)
    return [value, after]


RETRY = df.Orchestrator.create(_with_retry)


def _flaky(failures: int) -> Any:
    calls = {"n": 0}

    def flaky(_: Any) -> str:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise RuntimeError("transient")
        return f"ok after {calls['n']}"

    return flaky


def test_a_retried_activity_succeeds_on_a_later_attempt() -> None:
    """Two failures, then success; the next activity still gets a matching sequence id."""
    stubs = {"flaky": _flaky(2), "echo": lambda v: v}
    result = simulate(RETRY, None, start=T0, activities=stubs)
    assert result.output == ["ok after 3", "ok after 3"]
    assert result.finished_at == T0 + timedelta(seconds=2)


def test_retries_interleave_timers_in_the_sequence_ids() -> None:
    """Attempt, timer, attempt, timer, attempt: ids 0-4, then the next call is id 5."""
    stubs = {"flaky": _flaky(2), "echo": lambda v: v}
    result = simulate(RETRY, None, start=T0, activities=stubs)
    scheduled = [
        (e["EventType"], e["EventId"])
        for e in result.history
        if e["EventType"] in (EventType.TASK_SCHEDULED, EventType.TIMER_CREATED)
    ]
    assert scheduled == [(4, 0), (10, 1), (4, 2), (10, 3), (4, 4), (4, 5)]


def test_exhausted_retries_raise_after_the_last_attempt_and_its_timer() -> None:
    """Three attempts fail; the orchestrator sees the failure after the third timer."""
    stubs = {"flaky": _flaky(99), "echo": lambda v: v}
    result = simulate(RETRY, None, start=T0, activities=stubs)
    assert result.output == ["gave up", "gave up"]
    assert len([c for c in result.calls if c.name == "flaky"]) == 3
    assert result.finished_at == T0 + timedelta(seconds=3)


def _two_events(context: Context) -> Generator[Any, Any, Any]:
    first = yield context.wait_for_external_event("first")
    second = yield context.wait_for_external_event("second")
    return [first, second]


def test_an_event_raised_before_its_wait_is_buffered_until_then() -> None:
    """'second' arrives first; it is held until the orchestrator waits for it."""
    events = [
        ExternalEvent("second", {"n": 2}, T0 + timedelta(seconds=1)),
        ExternalEvent("first", 1, T0 + timedelta(seconds=2)),
    ]
    result = simulate(
        df.Orchestrator.create(_two_events), None, start=T0, activities={}, events=events
    )
    assert result.output == [1, {"n": 2}]


def _counter(context: Context) -> Generator[Any, Any, Any]:
    count = context.get_input()
    if count >= 3:
        return count
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=1))
    context.continue_as_new(count + 1)
    return None


def test_continue_as_new_restarts_with_the_new_input() -> None:
    """The instance starts over three times, then completes with the last input."""
    result = simulate(df.Orchestrator.create(_counter), 0, start=T0, activities={})
    assert (result.status, result.output) == (RuntimeStatus.COMPLETED, 3)
    assert result.finished_at == T0 + timedelta(seconds=3)


def _raises(context: Context) -> Generator[Any, Any, Any]:
    yield context.call_activity("echo", 1)
    raise ValueError("orchestrator bug")


def test_an_orchestrator_exception_fails_the_instance_with_the_error() -> None:
    """runtimeStatus Failed, the error as output."""
    result = simulate(
        df.Orchestrator.create(_raises), None, start=T0, activities={"echo": lambda v: v}
    )
    assert result.status is RuntimeStatus.FAILED
    assert result.output == "Orchestrator function 'orchestrator' failed: orchestrator bug"


def _calls_http(context: Context) -> Generator[Any, Any, Any]:
    yield context.call_http("GET", "https://example.invalid/")


def test_unsupported_actions_fail_the_instance_clearly() -> None:
    """Durable HTTP is not implemented here, and the failure says so."""
    result = simulate(df.Orchestrator.create(_calls_http), None, start=T0, activities={})
    assert result.status is RuntimeStatus.FAILED
    assert "action type 8 is not supported by the dev host" in result.output


def _custom_status(context: Context) -> Generator[Any, Any, Any]:
    context.set_custom_status({"stage": "calling"})
    yield context.call_activity("echo", 1)
    context.set_custom_status({"stage": "done"})
    return "ok"


def test_custom_status_is_kept() -> None:
    """The last custom status set is the instance's."""
    result = simulate(
        df.Orchestrator.create(_custom_status), None, start=T0, activities={"echo": lambda v: v}
    )
    assert result.custom_status == {"stage": "done"}


class _Spy:
    """A handle that records each context JSON it is given."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    def __call__(self, context: Any) -> Any:
        self.contexts.append(json.loads(context.body))
        return RACE(context)


def _first_step(handle: Any) -> tuple[Orchestration, list[Any]]:
    instance = Orchestration("i-1", "race", json.dumps({}), T0)
    return instance, instance.step(handle, T0)


def test_the_first_episode_is_not_a_replay() -> None:
    """History [OrchestratorStarted, ExecutionStarted], nothing played, not replaying."""
    spy = _Spy()
    _first_step(spy)
    context = spy.contexts[0]
    assert [e["EventType"] for e in context["history"]] == [12, 0]
    assert context["isReplaying"] is False
    assert not any(e["IsPlayed"] for e in context["history"])


def test_a_later_episode_replays_played_events_and_adds_new_ones() -> None:
    """Past events are IsPlayed, the new episode's are not, and isReplaying is set."""
    spy = _Spy()
    instance, commands = _first_step(spy)
    activity = next(c for c in commands if isinstance(c, RunActivity))
    later = T0 + timedelta(seconds=1)
    instance.deliver(history.task_completed(activity.seq, '"v"', later), activity.execution)
    instance.step(spy, later)
    context = spy.contexts[1]
    played = [e["IsPlayed"] for e in context["history"]]
    assert context["isReplaying"] is True
    assert played == [True, True, True, True, True, False, False]
    assert context["history"][-2]["Timestamp"] == history.timestamp(later)


def test_the_first_episode_schedules_an_activity_and_a_timer() -> None:
    """Sequence ids 0 (activity) and 1 (timer), in creation order."""
    instance, commands = _first_step(RACE)
    kinds = [(e["EventType"], e["EventId"]) for e in instance.history]
    assert kinds == [(12, -1), (0, -1), (4, 0), (10, 1), (13, -1)]
    assert [type(c).__name__ for c in commands] == ["RunActivity", "StartTimer"]


def test_terminating_cancels_timers_and_records_the_reason() -> None:
    """Terminated, with the reason as output; the pending timer is cancelled."""
    instance, _ = _first_step(RACE)
    commands = instance.terminate("operator said so", T0)
    assert commands == [CancelTimer(1), Finished(RuntimeStatus.TERMINATED, "operator said so")]
    assert (instance.status, instance.output) == (RuntimeStatus.TERMINATED, "operator said so")


def test_results_for_an_earlier_execution_are_dropped() -> None:
    """After continue-as-new, a late result from the old execution is not delivered."""
    instance, commands = _first_step(RACE)
    activity = next(c for c in commands if isinstance(c, RunActivity))
    late = history.task_completed(activity.seq, '"v"', T0)
    assert not instance.deliver(late, activity.execution + 1)


@pytest.mark.parametrize("status", [RuntimeStatus.COMPLETED, RuntimeStatus.FAILED])
def test_finished_statuses_are_terminal(status: RuntimeStatus) -> None:
    """Completed and Failed are terminal; Running is not."""
    assert status.is_terminal
    assert not RuntimeStatus.RUNNING.is_terminal


def test_an_instance_carries_its_version_in_execution_started() -> None:
    """The version stamped at creation is the ExecutionStarted event's Version."""
    instance = Orchestration("i-v", "race", json.dumps({}), T0, version="2")
    started = next(e for e in instance._inbox if e["EventType"] == 0)
    assert started["Version"] == "2"
