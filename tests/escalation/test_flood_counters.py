"""The flood counters, against both backings: in memory and Table Storage on Azurite. Every
instance must count the same minute, so a flood spread over instances is still seen (H03)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest

from shared.escalation.flood import FloodCounters, MemoryFloodCounters, TableFloodCounters
from shared.platform.settings import Settings

Counters = Callable[[], FloodCounters]


@pytest.fixture(params=["memory", pytest.param("table", marks=pytest.mark.integration)])
def counters(request: pytest.FixtureRequest) -> Iterator[Counters]:
    """A factory of counters sharing one backing, as instances share the table."""
    if request.param == "memory":
        shared = MemoryFloodCounters()
        yield lambda: shared
        return
    settings = Settings.from_env(
        {
            "AzureWebJobsStorage": request.getfixturevalue("azurite_connection"),
            "ESCALATION_TABLE_NAME": "t" + uuid.uuid4().hex[:20],
        }
    )
    yield lambda: TableFloodCounters.for_settings(settings)


@pytest.mark.safety("H03")
def test_racing_instances_lose_no_count(counters: Counters) -> None:
    """Four instances counting 5 times each at once reach exactly 20."""
    instances = [counters() for _ in range(4)]
    barrier = threading.Barrier(len(instances))

    def count(c: FloodCounters) -> None:
        barrier.wait()
        for _ in range(5):
            c.increment("all:0029944680")

    threads = [threading.Thread(target=count, args=(c,)) for c in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert instances[0].increment("all:0029944680") == 21


@pytest.mark.safety("H03")
def test_folded_counts_are_summed_over_a_range_of_minutes(counters: Counters) -> None:
    """The status page's figure: the folded counters of the minutes in its window."""
    c = counters()
    for minute, times in (("0000000009", 1), ("0000000010", 2), ("0000000012", 3)):
        for _ in range(times):
            c.increment(f"folded:{minute}")
    c.increment("all:0000000010")
    assert c.sum_from("folded:", "0000000010", "0000000012") == 5
