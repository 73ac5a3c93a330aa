"""Timer triggers: the schedule loop (with injected time) and on-demand runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.functions.timer import TimerRequest

from devhost import ncrontab
from devhost.background import RunningDevHost
from devhost.index import FunctionInfo, TimerFunction
from devhost.timers import TimerService
from tests.devhost import toy_app
from tests.devhost.conftest import ADMIN_KEY, FUNCTION_KEY
from tests.devhost.http_client import call

T0 = datetime(2025, 1, 1, 0, 0, 3, tzinfo=UTC)


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


def _timer(name: str, schedule: str, *, disabled: bool = False) -> TimerFunction:
    info = FunctionInfo(
        name=name,
        handler=lambda timer: None,
        trigger_arg="timer",
        client_args=(),
        wants_context=False,
        disabled=disabled,
    )
    return TimerFunction(info=info, schedule=ncrontab.parse(schedule), run_on_startup=False)


class Recorder:
    """Records runs; sets ``enough`` after ``limit`` of them."""

    def __init__(self, time: FakeTime, limit: int = 3) -> None:
        self.time = time
        self.limit = limit
        self.runs: list[tuple[datetime, TimerRequest]] = []
        self.enough = asyncio.Event()

    async def __call__(self, function: TimerFunction, request: TimerRequest) -> None:
        self.runs.append((self.time.now, request))
        if len(self.runs) >= self.limit:
            self.enough.set()


async def _run_schedule(
    functions: dict[str, TimerFunction], make_run: Callable[[FakeTime], Recorder]
) -> Recorder:
    time = FakeTime(T0)
    recorder = make_run(time)
    service = TimerService(functions, recorder, clock=time.clock, sleep=time.sleep)
    service.start()
    try:
        await asyncio.wait_for(recorder.enough.wait(), timeout=5)
    finally:
        await service.stop()
    return recorder


async def test_a_timer_runs_at_each_scheduled_time() -> None:
    """'*/10 * * * * *' from 00:00:03 runs at :10, :20 and :30."""
    recorder = await _run_schedule({"tick": _timer("tick", "*/10 * * * * *")}, Recorder)
    times = [at.second for at, _ in recorder.runs[:3]]
    assert times == [10, 20, 30]


async def test_a_timer_sleeps_exactly_until_the_next_occurrence() -> None:
    """The loop sleeps 7 s, then 10 s between runs; it never polls."""
    recorder = await _run_schedule({"tick": _timer("tick", "*/10 * * * * *")}, Recorder)
    assert recorder.time.sleeps[:3] == [7.0, 10.0, 10.0]


async def test_an_on_time_run_is_not_past_due() -> None:
    """A run that starts when scheduled reports IsPastDue false and the next occurrence."""
    recorder = await _run_schedule({"tick": _timer("tick", "*/10 * * * * *")}, Recorder)
    _, request = recorder.runs[0]
    assert not request.past_due
    assert request.schedule_status["Next"] == "2025-01-01T00:00:20+00:00"


async def test_a_disabled_timer_is_not_scheduled() -> None:
    """AzureWebJobs.<name>.Disabled keeps the schedule quiet."""
    time = FakeTime(T0)
    recorder = Recorder(time)
    functions = {"tick": _timer("tick", "* * * * * *", disabled=True)}
    service = TimerService(functions, recorder, clock=time.clock, sleep=time.sleep)
    service.start()
    await asyncio.sleep(0)
    await service.stop()
    assert (time.sleeps, recorder.runs) == ([], [])


async def test_a_disabled_timer_can_still_be_run_on_demand() -> None:
    """run_now ignores the disabled flag, as the admin API does in Azure."""
    time = FakeTime(T0)
    recorder = Recorder(time)
    functions = {"tick": _timer("tick", "* * * * * *", disabled=True)}
    service = TimerService(functions, recorder, clock=time.clock, sleep=time.sleep)
    await service.run_now("tick")
    assert len(recorder.runs) == 1


async def test_runs_of_one_function_never_overlap() -> None:
    """Two on-demand runs at once are serialised."""
    active = 0
    most = 0

    async def run(function: TimerFunction, request: TimerRequest) -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        for _ in range(3):
            await asyncio.sleep(0)
        active -= 1

    service = TimerService({"tick": _timer("tick", "* * * * * *")}, run)
    await asyncio.gather(service.run_now("tick"), service.run_now("tick"))
    assert most == 1


async def test_an_on_demand_run_raises_the_function_exception() -> None:
    """run_now propagates what the function raised, so tests can assert on it."""

    async def run(function: TimerFunction, request: TimerRequest) -> None:
        raise RuntimeError("timer failed")

    service = TimerService({"tick": _timer("tick", "* * * * * *")}, run)
    with pytest.raises(RuntimeError, match="timer failed"):
        await service.run_now("tick")


async def test_an_unknown_timer_is_a_lookup_error() -> None:
    """run_now names only timer functions."""
    service = TimerService({}, lambda f, r: asyncio.sleep(0))
    with pytest.raises(LookupError, match="nope"):
        await service.run_now("nope")


@pytest.mark.integration
class TestAdminApi:
    """POST /admin/functions/{name} on the toy app."""

    def _invoke(self, host: RunningDevHost, name: str, key: str, method: str = "POST") -> Any:
        return call(
            method,
            f"{host.base_url}/admin/functions/{name}",
            headers={"x-functions-key": key},
            json_body={"input": ""},
        )

    def test_the_admin_key_runs_a_timer_and_gets_202(self, toy_host: RunningDevHost) -> None:
        """The disabled toy timer runs on demand."""
        toy_app.tick_ran.clear()
        assert self._invoke(toy_host, "tick", ADMIN_KEY).status == 202
        assert toy_app.tick_ran.wait(timeout=5)

    def test_the_function_key_is_refused(self, toy_host: RunningDevHost) -> None:
        """The admin API needs the admin key."""
        assert self._invoke(toy_host, "tick", FUNCTION_KEY).status == 401

    def test_only_post_is_allowed(self, toy_host: RunningDevHost) -> None:
        """PUT on the admin route is a 405."""
        assert self._invoke(toy_host, "tick", ADMIN_KEY, method="PUT").status == 405

    def test_an_unknown_function_is_404(self, toy_host: RunningDevHost) -> None:
        """No function by that name."""
        assert self._invoke(toy_host, "nope", ADMIN_KEY).status == 404

    def test_an_http_function_is_refused(self, toy_host: RunningDevHost) -> None:
        """Only timers run through the admin API here."""
        assert self._invoke(toy_host, "hello", ADMIN_KEY).status == 400

    def test_run_timer_waits_for_the_run(self, toy_host: RunningDevHost) -> None:
        """The Python API returns after the function has run."""
        before = len(toy_app.tick_requests)
        toy_host.run_timer("tick")
        assert len(toy_app.tick_requests) == before + 1
