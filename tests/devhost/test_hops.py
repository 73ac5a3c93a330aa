"""DEVHOST_DURABLE_HOP_MS: every hop of a Durable message waits, as Azure's queues make it.

The engine's sleep is injected: each hop parks on a gate the test opens, so the tests see
which message waits and in what order, without measuring time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from devhost import loader
from devhost.background import running_devhost
from devhost.durable import DurableEngine
from devhost.index import FunctionIndex, build_index
from devhost.orchestration import RuntimeStatus
from tests.devhost.conftest import FUNCTION_KEY, TOY_APP, TOY_SETTINGS
from tests.devhost.http_client import call

HOP_S = 0.25


@dataclass
class Gates:
    """An injected sleep: every call records its delay and waits until released."""

    delays: list[float] = field(default_factory=list)
    waiting: list[asyncio.Future[None]] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(gate)
        await gate

    async def release_one(self) -> None:
        """Let the oldest waiting hop through, then let the loop carry it out."""
        await _until(lambda: bool(self.waiting))
        self.waiting.pop(0).set_result(None)
        await _settle()


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll on the loop for something another task or thread does."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met")
        await asyncio.sleep(0.001)


def _toy_index() -> FunctionIndex:
    return build_index(loader.registered_functions(loader.load_app(TOY_APP)), {})


@pytest.fixture
async def engine_and_gates() -> AsyncIterator[tuple[DurableEngine, Gates]]:
    """An engine over the toy app's Durable functions with a 250 ms hop, gated."""
    index = _toy_index()
    gates = Gates()
    with ThreadPoolExecutor(2) as executor:
        engine = DurableEngine(
            index.orchestrators,
            index.activities,
            executor,
            hop_delay_s=HOP_S,
            sleep=gates.sleep,
        )
        yield engine, gates
        await engine.close()


async def test_a_start_waits_one_hop_before_the_first_episode(
    engine_and_gates: tuple[DurableEngine, Gates],
) -> None:
    """The instance stays Pending until its start message has crossed the queue."""
    engine, gates = engine_and_gates
    instance_id = engine.start("doubler", input_json="21")
    await _settle()
    orchestration = engine.get(instance_id)
    assert orchestration is not None
    assert orchestration.status is RuntimeStatus.PENDING
    assert gates.delays == [HOP_S]


async def test_an_activity_call_is_three_hops_in_order(
    engine_and_gates: tuple[DurableEngine, Gates],
) -> None:
    """Start, orchestrator to activity, result back: each waits, then the instance ends."""
    engine, gates = engine_and_gates
    instance_id = engine.start("doubler", input_json="21")
    orchestration = engine.get(instance_id)
    assert orchestration is not None
    await gates.release_one()  # start -> first episode: the activity is scheduled
    assert orchestration.status is RuntimeStatus.RUNNING
    assert [e["EventType"] for e in orchestration.history][-2:] == [4, 13]  # scheduled
    await gates.release_one()  # the work item reaches the activity; its result waits
    await _until(lambda: len(gates.waiting) == 1)
    assert orchestration.status is RuntimeStatus.RUNNING, "the result has not arrived yet"
    await gates.release_one()  # the result reaches the orchestration
    assert orchestration.status is RuntimeStatus.COMPLETED
    assert orchestration.output == 42
    assert gates.delays == [HOP_S, HOP_S, HOP_S]


async def test_a_raised_event_waits_one_hop(
    engine_and_gates: tuple[DurableEngine, Gates],
) -> None:
    """An external event is not seen by the orchestrator until its message arrives."""
    engine, gates = engine_and_gates
    instance_id = engine.start("approval")
    orchestration = engine.get(instance_id)
    assert orchestration is not None
    await gates.release_one()
    assert orchestration.custom_status == "waiting"
    engine.raise_event(instance_id, "approval", '"yes"')
    await _settle()
    assert orchestration.custom_status == "waiting"
    await gates.release_one()
    assert orchestration.status is RuntimeStatus.COMPLETED
    assert orchestration.output == {"decision": "yes"}


async def test_a_durable_timer_firing_waits_one_hop(
    engine_and_gates: tuple[DurableEngine, Gates],
) -> None:
    """A timer due now fires, and its message still crosses the queue before it counts."""
    engine, gates = engine_and_gates
    instance_id = engine.start("race", input_json='{"delay_s": 30, "timeout_s": 0}')
    orchestration = engine.get(instance_id)
    assert orchestration is not None
    await gates.release_one()  # start: the activity and a timer due at once are scheduled
    await _until(lambda: len(gates.waiting) == 2)  # the work item, and the timer's firing
    assert orchestration.status is RuntimeStatus.RUNNING
    gates.waiting.pop(1).set_result(None)  # only the timer's message arrives
    await _settle()
    assert orchestration.status is RuntimeStatus.COMPLETED
    assert orchestration.output == {"winner": "timer"}


async def test_without_a_hop_delay_nothing_sleeps() -> None:
    """The default, 0, runs every hop at once, as the dev host always did."""
    index = _toy_index()
    gates = Gates()
    with ThreadPoolExecutor(2) as executor:
        engine = DurableEngine(index.orchestrators, index.activities, executor, sleep=gates.sleep)
        instance_id = engine.start("doubler", input_json="21")
        orchestration = engine.get(instance_id)
        assert orchestration is not None
        await _until(lambda: orchestration.status is RuntimeStatus.COMPLETED)
        await engine.close()
    assert gates.delays == []


def test_a_negative_hop_delay_is_refused() -> None:
    """The engine refuses a delay below zero."""
    index = _toy_index()
    with (
        ThreadPoolExecutor(1) as executor,
        pytest.raises(ValueError, match="hop delay"),
    ):
        DurableEngine(index.orchestrators, index.activities, executor, hop_delay_s=-0.1)


@pytest.mark.integration
def test_the_host_setting_delays_an_activity_call_by_at_least_three_hops() -> None:
    """DEVHOST_DURABLE_HOP_MS=100 through the real client: never under 3 x 100 ms."""
    settings = {**TOY_SETTINGS, "DEVHOST_DURABLE_HOP_MS": "100"}
    with running_devhost(TOY_APP, settings=settings) as host:
        started = time.monotonic()
        reply = call(
            "POST",
            f"{host.base_url}/api/run/doubler",
            headers={"x-functions-key": FUNCTION_KEY},
            json_body=21,
        )
        took = time.monotonic() - started
    assert reply.status == 200
    assert reply.json() == 42
    assert took >= 0.3
