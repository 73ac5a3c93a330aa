"""Fixtures for the breaker tests: a fake clock, settings, and both stores."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.breakers.store import BreakerStore, InMemoryBreakerStore, TableBreakerStore
from shared.platform.config import BreakerSettings
from tests.support.clocks import ManualClock

# A round epoch time, so bucket arithmetic in the tests is easy to follow.
T0 = 1_800_000_000.0


class FakeClock(ManualClock):
    """An injected wall clock from T0 that only moves when a test moves it."""

    def __init__(self, start: float = T0) -> None:
        super().__init__(start)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> BreakerSettings:
    return BreakerSettings()


def fresh_table_name() -> str:
    return "t" + uuid.uuid4().hex[:20]


def table_store(connection: str) -> TableBreakerStore:
    return TableBreakerStore.from_connection_string(connection, fresh_table_name())


@pytest.fixture(
    params=["memory", pytest.param("table", marks=pytest.mark.integration)],
)
def store(request: pytest.FixtureRequest) -> Iterator[BreakerStore]:
    """Each store implementation in turn: in-memory, then Table Storage on Azurite."""
    if request.param == "memory":
        yield InMemoryBreakerStore()
        return
    table = table_store(request.getfixturevalue("azurite_connection"))
    try:
        yield table
    finally:
        table.close()
