"""The health store: one contract for memory and Table Storage, and the fallback between them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.breakers.rule import BreakerState
from shared.models import Outcome
from shared.operations.health import CheckMode, CheckResult, HealthStore
from shared.operations.results_table import (
    MemoryHealthStore,
    ResilientHealthStore,
    TableHealthStore,
    row_key,
)
from shared.platform.settings import Settings

from .fakes import T0, FakeClock

HISTORY = 3


def result(provider: str, at: float, outcome: Outcome = Outcome.OK) -> CheckResult:
    return CheckResult(provider, outcome, at, 12.5, CheckMode.COUNTED, BreakerState.CLOSED, "x")


@pytest.fixture(params=["memory", pytest.param("table", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> Iterator[HealthStore]:
    """Each store in turn: in memory, then the ``health`` table on Azurite."""
    if request.param == "memory":
        yield MemoryHealthStore(HISTORY)
        return
    settings = Settings.from_env(
        {"AzureWebJobsStorage": request.getfixturevalue("azurite_connection")}
    )
    table = TableHealthStore.for_settings(settings, HISTORY, table_name="h" + uuid.uuid4().hex[:12])
    try:
        yield table
    finally:
        table._table.delete_table()


def test_latest_is_the_newest_result_per_provider(store: HealthStore) -> None:
    """Each provider's latest result is its newest, whatever order they were written in."""
    store.record([result("openai", T0), result("anthropic", T0 + 5, Outcome.TIMEOUT)])
    store.record([result("openai", T0 + 60, Outcome.UNAVAILABLE)])
    latest = store.latest(["openai", "anthropic", "azure_openai"])
    assert set(latest) == {"openai", "anthropic"}
    assert latest["openai"] == result("openai", T0 + 60, Outcome.UNAVAILABLE)
    assert latest["anthropic"].outcome is Outcome.TIMEOUT


def test_only_the_last_n_results_are_kept(store: HealthStore) -> None:
    """Older results beyond N per provider are dropped; history reads newest first."""
    for minute in range(5):
        store.record([result("openai", T0 + 60 * minute), result("anthropic", T0 + 60 * minute)])
    history = store.history("openai")
    assert [r.at for r in history] == [T0 + 240, T0 + 180, T0 + 120]
    assert len(store.history("anthropic")) == HISTORY


def test_a_result_round_trips_unchanged(store: HealthStore) -> None:
    """Every field survives storage."""
    original = CheckResult(
        "azure_openai",
        Outcome.RATE_LIMITED,
        T0 + 0.123456,
        321.25,
        CheckMode.PROBE,
        BreakerState.OPEN,
        "HTTP 429 RateLimitError",
    )
    store.record([original])
    assert store.history("azure_openai") == [original]


def test_row_keys_sort_newest_first() -> None:
    """A later check gets a smaller row key, so a partition reads newest first."""
    assert row_key(T0 + 1) < row_key(T0) < row_key(T0 - 0.000001)
    assert len(row_key(T0)) == len(row_key(1.0))


class FlakyTable(MemoryHealthStore):
    """A table store that fails while ``down`` is set."""

    def __init__(self) -> None:
        super().__init__(HISTORY)
        self.down = False
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.down:
            raise OSError("unreachable")

    def record(self, results: object) -> None:
        self._maybe_fail()
        super().record(results)  # type: ignore[arg-type]

    def latest(self, providers: object) -> dict[str, CheckResult]:
        self._maybe_fail()
        return super().latest(providers)  # type: ignore[arg-type]


def test_results_survive_a_table_outage_in_memory() -> None:
    """While the table is down, results are kept and read from memory, and it says degraded."""
    table = FlakyTable()
    table.down = True
    store = ResilientHealthStore(lambda: table, HISTORY, clock=FakeClock())
    store.record([result("openai", T0)])
    assert store.degraded
    assert store.latest(["openai"])["openai"].at == T0


def test_the_table_is_not_retried_until_the_retry_interval_has_passed() -> None:
    """After a failure the table is left alone for retry_s, then used again, and it recovers."""
    clock = FakeClock()
    table = FlakyTable()
    table.down = True
    store = ResilientHealthStore(lambda: table, HISTORY, retry_s=30.0, clock=clock)
    store.record([result("openai", T0)])
    table.down = False
    store.latest(["openai"])
    assert table.calls == 1, "no table call inside the retry interval"
    clock.advance(31.0)
    store.record([result("openai", T0 + 60)])
    assert not store.degraded
    assert table.calls == 2


def test_a_table_that_cannot_be_opened_is_opened_again_later() -> None:
    """Failing to create the table client degrades the store; a later call opens it."""
    clock = FakeClock()
    opened: list[FlakyTable] = []

    def open_table() -> FlakyTable:
        if not opened:
            opened.append(FlakyTable())
            raise OSError("no storage yet")
        return opened[0]

    store = ResilientHealthStore(open_table, HISTORY, retry_s=5.0, clock=clock)
    store.record([result("openai", T0)])
    assert store.degraded
    clock.advance(6.0)
    store.record([result("openai", T0 + 60)])
    assert not store.degraded
    assert opened[0].latest(["openai"])["openai"].at == T0 + 60
