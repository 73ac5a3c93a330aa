"""Several real OS processes sharing one breaker table on Azurite."""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

import pytest

from shared.breakers.rule import Breaker, BreakerState, Decision
from shared.breakers.service import BreakerService
from shared.breakers.store import TableBreakerStore
from shared.models import Outcome
from shared.platform.config import BreakerSettings

from . import workers
from .conftest import fresh_table_name

pytestmark = pytest.mark.integration

WAIT_S = 60.0


@pytest.fixture
def ctx() -> SpawnContext:
    return multiprocessing.get_context("spawn")


@pytest.fixture
def table(azurite_connection: str) -> tuple[str, str]:
    """A fresh, created table: (connection string, table name)."""
    name = fresh_table_name()
    store = TableBreakerStore.from_connection_string(azurite_connection, name)
    store.ensure_table()
    store.close()
    return azurite_connection, name


def run_together(
    ctx: SpawnContext, target: Callable[..., None], jobs: list[dict[str, Any]]
) -> tuple[list[SpawnProcess], Any]:
    """Start one process per job (keyword arguments), wait until all are ready, release them."""
    go, results = ctx.Event(), ctx.Queue()
    processes = [
        ctx.Process(target=target, kwargs={**job, "go": go, "results": results}) for job in jobs
    ]
    for process in processes:
        process.start()
    for _ in processes:
        assert results.get(timeout=WAIT_S)[0] == "ready"
    go.set()
    return processes, results


def collect(processes: list[SpawnProcess], results: Any) -> list[tuple[Any, ...]]:
    """One result per process; fails fast if a process dies instead of reporting."""
    messages: list[tuple[Any, ...]] = []
    deadline = time.monotonic() + WAIT_S
    while len(messages) < len(processes):
        try:
            messages.append(results.get(timeout=0.2))
        except queue.Empty:
            crashed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            assert not crashed, f"a worker process failed with exit code {crashed}"
            assert time.monotonic() < deadline, "workers did not report in time"
    for process in processes:
        process.join(timeout=WAIT_S)
        assert process.exitcode == 0
    return messages


def test_concurrent_failures_from_two_processes_are_all_counted(
    ctx: SpawnContext, table: tuple[str, str]
) -> None:
    """2 processes record 100 failures each at the same time: the counter ends at exactly 200."""
    connection, name = table
    never_trips = BreakerSettings(failure_threshold=1_000_000, ratio_min_calls=1_000_000)
    job = {"connection": connection, "table": name, "provider": "openai"}
    processes, results = run_together(
        ctx, workers.record_failures, [{**job, "count": 100, "settings": never_trips}] * 2
    )
    done = collect(processes, results)
    store = TableBreakerStore.from_connection_string(connection, name)
    stored = store.read("openai")
    store.close()
    assert stored is not None
    writes = sum(message[2] for message in done)
    print(f"\n200 concurrent failure records took {writes} ETag writes ({writes - 200} refused)")
    assert [message[3] for message in done] == [0, 0]
    (_, _, _, _, a_first, a_last), (_, _, _, _, b_first, b_last) = done
    assert a_first < b_last, "the two processes did not overlap"
    assert b_first < a_last, "the two processes did not overlap"
    assert stored.state.consecutive_failures == 200
    assert sum(b.failures for b in stored.state.buckets) == 200


def test_exactly_one_of_many_requesters_in_two_processes_gets_the_probe(
    ctx: SpawnContext, table: tuple[str, str]
) -> None:
    """16 instances (8 threads in each of 2 processes) meet a breaker whose break is over."""
    connection, name = table
    store = TableBreakerStore.from_connection_string(connection, name)
    ended = time.time() - 1.0
    store.write(
        "openai",
        Breaker(state=BreakerState.OPEN, opened_at=ended - 30, open_until=ended),
        None,
    )
    store.close()
    job = {"connection": connection, "table": name, "provider": "openai", "requesters": 8}
    processes, results = run_together(ctx, workers.claim_probes, [job] * 2)
    decisions = [d for message in collect(processes, results) for d in message[2]]
    assert len(decisions) == 16
    assert decisions.count(Decision.PROBE.value) == 1
    assert decisions.count(Decision.SKIP.value) == 15


@pytest.mark.safety("H13")
def test_a_trip_in_one_process_is_seen_by_another_after_its_cache_expires(
    ctx: SpawnContext, table: tuple[str, str]
) -> None:
    """Process B, caching for 1 s, stops calling the tier once process A (this one) trips it."""
    connection, name = table
    job = {"connection": connection, "table": name, "provider": "openai"}
    processes, results = run_together(ctx, workers.watch_for_trip, [job])
    store = TableBreakerStore.from_connection_string(connection, name)
    service = BreakerService(store, lambda _p: BreakerSettings(), lambda _p: workers.LEASE_S)
    for _ in range(BreakerSettings().failure_threshold):
        view = service.record("openai", Outcome.TIMEOUT)
    tripped_at = time.time()
    store.close()
    assert view.state is BreakerState.OPEN
    [(kind, seen_at, reads, allowed_reads)] = collect(processes, results)
    print(f"\ntrip propagation between processes: {seen_at - tripped_at:.3f} s (cache TTL 1 s)")
    assert kind == "seen"
    assert reads <= allowed_reads
