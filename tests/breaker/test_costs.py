"""What the breakers cost a busy instance at steady state, measured on Table Storage (Azurite)."""

from __future__ import annotations

import pytest

from shared.breakers.service import BreakerService
from shared.breakers.store import TableBreakerStore
from shared.models import Outcome
from shared.platform.config import BreakerSettings

from .conftest import FakeClock, fresh_table_name

PROVIDERS = ["openai", "azure_openai", "anthropic"]


@pytest.mark.integration
def test_steady_state_costs_one_read_per_second_and_no_writes(
    azurite_connection: str, clock: FakeClock
) -> None:
    """100 chat requests in one second (admit_all + record(success)) cost one read, no write."""
    store = TableBreakerStore.from_connection_string(azurite_connection, fresh_table_name())
    service = BreakerService(
        store, lambda _p: BreakerSettings(), lambda _p: 5.0, clock=clock, cache_ttl_s=1.0
    )
    service.admit_all(PROVIDERS)  # a warm cache, as on a busy instance
    clock.advance(1.0)
    reads, writes = store.reads, store.writes
    requests = 100
    for _ in range(requests):
        admissions = service.admit_all(PROVIDERS)
        assert admissions["openai"].allowed
        service.record("openai", Outcome.OK)
        clock.advance(1.0 / requests)
    reads, writes = store.reads - reads, store.writes - writes
    print(
        f"\nsteady state, {requests} requests in 1 s: {reads} table reads, {writes} writes "
        f"({reads / requests:.3f} reads and {writes / requests:.3f} writes per request)"
    )
    store.close()
    assert writes == 0
    assert reads <= 2  # one per TTL; the clock may cross one TTL boundary
