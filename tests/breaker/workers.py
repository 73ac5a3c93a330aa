"""Code that runs in the child processes of the multi-process breaker tests.

Each function is a process target, called with keyword arguments only. It builds its own table
store and service (as a separate Functions instance would), reports ``("ready", ...)`` on
``results``, waits for ``go``, does its part, and reports what it saw as plain data.
"""

from __future__ import annotations

import math
import os
import threading
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from shared.breakers.rule import Decision
from shared.breakers.service import BreakerService
from shared.breakers.store import TableBreakerStore
from shared.models import Outcome
from shared.platform.config import BreakerSettings

LEASE_S = 5.0
# Generous: many processes hammer one Azurite (a single Node.js process) at once.
TIMEOUT_S = 10.0
GO_TIMEOUT_S = 60.0


def _service(
    connection: str, table: str, settings: BreakerSettings, *, cache_ttl_s: float = 1.0
) -> tuple[BreakerService, TableBreakerStore]:
    store = TableBreakerStore.from_connection_string(connection, table, timeout_s=TIMEOUT_S)
    service = BreakerService(
        store, lambda _p: settings, lambda _p: LEASE_S, cache_ttl_s=cache_ttl_s
    )
    return service, store


def record_failures(
    *,
    connection: str,
    table: str,
    provider: str,
    count: int,
    settings: BreakerSettings,
    go: Event,
    results: Queue[tuple[object, ...]],
) -> None:
    """Record ``count`` failures as fast as possible, then flush anything left over."""
    service, store = _service(connection, table, settings)
    service.admit(provider)
    results.put(("ready", os.getpid()))
    go.wait(GO_TIMEOUT_S)
    first = time.time()
    for _ in range(count):
        service.record(provider, Outcome.TIMEOUT)
    last = time.time()
    for _ in range(100):
        if not service.pending_writes:
            break
        service.flush()
    results.put(("done", os.getpid(), store.writes, service.pending_writes, first, last))


def claim_probes(
    *,
    connection: str,
    table: str,
    provider: str,
    requesters: int,
    go: Event,
    results: Queue[tuple[object, ...]],
) -> None:
    """``requesters`` threads, each its own instance with a warm cache, admit at the same moment."""
    services = [_service(connection, table, BreakerSettings())[0] for _ in range(requesters)]
    for service in services:
        # Every instance caches the same ETag, so their claims all race on one write.
        service.states([provider])
    barrier = threading.Barrier(requesters)
    decisions: list[str] = []
    lock = threading.Lock()

    def ask(service: BreakerService) -> None:
        barrier.wait()
        decision = service.admit(provider).decision
        with lock:
            decisions.append(decision.value)

    threads = [threading.Thread(target=ask, args=(s,)) for s in services]
    results.put(("ready", os.getpid()))
    go.wait(GO_TIMEOUT_S)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(("decisions", os.getpid(), decisions))


def watch_for_trip(
    *,
    connection: str,
    table: str,
    provider: str,
    go: Event,
    results: Queue[tuple[object, ...]],
) -> None:
    """Warm the cache (closed), then admit in a loop until the breaker is seen open."""
    ttl_s = 1.0
    service, store = _service(connection, table, BreakerSettings(), cache_ttl_s=ttl_s)
    assert service.admit(provider).decision is Decision.CALL
    results.put(("ready", os.getpid()))
    go.wait(GO_TIMEOUT_S)
    started = time.monotonic()
    while time.monotonic() - started < 10 * ttl_s:
        if service.admit(provider).decision is Decision.SKIP:
            elapsed = time.monotonic() - started
            allowed_reads = 1 + math.ceil(elapsed / ttl_s) + 1
            results.put(("seen", time.time(), store.reads, allowed_reads))
            return
        time.sleep(0.002)  # polling pace for a busy instance, not a wait for a timeout
    results.put(("never", time.time(), store.reads, 0))
