"""The shared breaker service: caching, write economy, probes across instances, outages, hooks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from devhost import azurite
from shared.breakers.rule import Breaker, BreakerState, Decision, Reason
from shared.breakers.service import Admission, BreakerService, BreakerView
from shared.breakers.store import (
    BreakerStore,
    InMemoryBreakerStore,
    StoreUnavailableError,
    TableBreakerStore,
    Versioned,
    WriteConflictError,
)
from shared.models import Outcome
from shared.platform.config import BreakerSettings, load_config

from .conftest import FakeClock

SETTINGS = BreakerSettings()
LEASE_S = {"openai": 5.0, "azure_openai": 7.0, "anthropic": 9.0}
PROVIDERS = list(LEASE_S)


def make_service(
    store: BreakerStore,
    clock: FakeClock,
    **options: float,
) -> BreakerService:
    return BreakerService(
        store,
        settings_for=lambda _provider: SETTINGS,
        lease_s_for=LEASE_S.__getitem__,
        clock=clock,
        sleep=lambda _seconds: None,
        **options,  # type: ignore[arg-type]
    )


@dataclass
class ConflictingStore:
    """An in-memory store whose next ``conflicts`` writes lose to an invisible rival."""

    conflicts: int = 0
    inner: InMemoryBreakerStore = field(default_factory=InMemoryBreakerStore)

    @property
    def reads(self) -> int:
        return self.inner.reads

    @property
    def writes(self) -> int:
        return self.inner.writes

    def read(self, provider: str) -> Versioned | None:
        return self.inner.read(provider)

    def read_all(self) -> dict[str, Versioned]:
        return self.inner.read_all()

    def write(self, provider: str, state: Breaker, etag: str | None) -> str:
        if self.conflicts:
            self.conflicts -= 1
            raise WriteConflictError(provider)
        return self.inner.write(provider, state, etag)


@pytest.fixture
def store() -> InMemoryBreakerStore:
    return InMemoryBreakerStore()


@pytest.fixture
def service(store: InMemoryBreakerStore, clock: FakeClock) -> BreakerService:
    return make_service(store, clock)


def trip(service: BreakerService, provider: str = "openai") -> BreakerView:
    view = service.record(provider, Outcome.TIMEOUT)
    for _ in range(SETTINGS.failure_threshold - 1):
        view = service.record(provider, Outcome.TIMEOUT)
    assert view.state is BreakerState.OPEN
    return view


def stored(store: InMemoryBreakerStore, provider: str = "openai") -> Breaker:
    found = store.read(provider)
    assert found is not None
    return found.state


# --- reads and writes at steady state ---------------------------------------------------------


def test_closed_successes_write_nothing(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """The steady state costs no table writes, however many successes."""
    for _ in range(100):
        service.record("openai", Outcome.OK)
    assert store.writes == 0


def test_a_busy_instance_reads_once_per_ttl(
    service: BreakerService, store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """100 requests within a second, for three providers, cost one table read."""
    for _ in range(100):
        service.admit_all(PROVIDERS)
        service.record("openai", Outcome.OK)
        clock.advance(0.0099)
    assert (store.reads, store.writes) == (1, 0)


def test_the_cache_is_refreshed_once_the_ttl_has_passed(
    service: BreakerService, store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """After cache_ttl_s the next admission reads again."""
    service.admit_all(PROVIDERS)
    clock.advance(1.0)
    service.admit_all(PROVIDERS)
    assert store.reads == 2


def test_a_clock_that_goes_backwards_does_not_pin_the_cache(
    service: BreakerService, store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """A wall-clock step backwards makes the cached state stale rather than fresh for ages."""
    service.admit("openai")
    clock.advance(-10.0)
    service.admit("openai")
    assert store.reads == 2


def test_admit_all_decides_every_provider(service: BreakerService) -> None:
    """One admission per provider; a closed breaker says CALL."""
    admissions = service.admit_all(PROVIDERS)
    assert list(admissions) == PROVIDERS
    assert all(a.decision is Decision.CALL and a.allowed for a in admissions.values())


def test_failures_are_written_and_counted(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """Each failure in the closed state is an ETag write of the counters."""
    service.record("openai", Outcome.TIMEOUT)
    service.record("openai", Outcome.UNAVAILABLE)
    assert store.writes == 2
    assert stored(store).consecutive_failures == 2


def test_a_success_after_failures_writes_the_streak_reset(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """The one success that ends a failure streak is written, so others see the reset."""
    service.record("openai", Outcome.TIMEOUT)
    service.record("openai", Outcome.OK)
    assert stored(store).consecutive_failures == 0
    assert store.writes == 2


def test_tallied_successes_join_the_window_on_the_next_write(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """Unwritten successes count towards the failure ratio once, with the next write."""
    for _ in range(6):
        service.record("openai", Outcome.OK)
    view = service.record("openai", Outcome.TIMEOUT)
    assert (view.window_calls, view.window_failures) == (7, 1)
    view = service.record("openai", Outcome.TIMEOUT)
    assert (view.window_calls, view.window_failures) == (8, 2)
    assert store.writes == 2


def test_neutral_outcomes_write_nothing(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """bad_request and friends leave the shared breaker alone."""
    service.record("openai", Outcome.BAD_REQUEST)
    service.record("openai", Outcome.CONTENT_FILTERED)
    assert store.writes == 0


def test_late_failures_while_open_write_nothing(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """Once open, stragglers' failures cost no writes."""
    trip(service)
    writes = store.writes
    service.record("openai", Outcome.TIMEOUT)
    assert store.writes == writes


# --- several instances ------------------------------------------------------------------------


def test_another_instance_sees_a_trip_once_its_cache_expires(
    store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """Instance B keeps its cached CALL for under a TTL, then sees the trip made by A."""
    a, b = make_service(store, clock), make_service(store, clock)
    assert b.admit("openai").decision is Decision.CALL
    clock.advance(0.2)
    trip(a)
    clock.advance(0.79)
    assert b.admit("openai").decision is Decision.CALL
    clock.advance(0.01)
    assert b.admit("openai").decision is Decision.SKIP


def test_failures_from_two_instances_add_up(store: InMemoryBreakerStore, clock: FakeClock) -> None:
    """A stale ETag is re-read and re-applied, so no instance's failure is lost."""
    a, b = make_service(store, clock), make_service(store, clock)
    a.admit("openai")
    b.admit("openai")
    a.record("openai", Outcome.TIMEOUT)
    b.record("openai", Outcome.TIMEOUT)
    view = a.record("openai", Outcome.TIMEOUT)
    assert view.state is BreakerState.OPEN
    assert stored(store).consecutive_failures == 3


def test_only_one_instance_gets_the_probe(store: InMemoryBreakerStore, clock: FakeClock) -> None:
    """After the break, the first claimant probes and the other, on a stale cache, skips."""
    a, b = make_service(store, clock), make_service(store, clock)
    trip(a)
    b.admit("openai")
    clock.advance(SETTINGS.open_s)
    first, second = a.admit("openai"), b.admit("openai")
    assert (first.decision, second.decision) == (Decision.PROBE, Decision.SKIP)
    assert first.probe


def test_the_lease_lasts_for_the_providers_lease_duration(
    service: BreakerService, clock: FakeClock
) -> None:
    """The probe lease uses lease_s_for(provider) (tier timeout plus margin)."""
    trip(service, "anthropic")
    clock.advance(SETTINGS.open_s)
    admission = service.admit("anthropic")
    assert admission.view.probe_lease_until == clock.now + LEASE_S["anthropic"]


def test_a_probe_that_never_reports_frees_the_lease_for_another_instance(
    store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """When the prober dies, another instance may probe once its lease has run out."""
    a, b = make_service(store, clock), make_service(store, clock)
    trip(a)
    clock.advance(SETTINGS.open_s)
    assert a.admit("openai").decision is Decision.PROBE
    clock.advance(LEASE_S["openai"] - 0.01)
    assert b.admit("openai").decision is Decision.SKIP
    clock.advance(0.01)
    assert b.admit("openai").decision is Decision.PROBE


def test_a_successful_probe_closes_it_for_everyone(
    store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """The probe's success, reported from any instance, closes the shared breaker."""
    a, b = make_service(store, clock), make_service(store, clock)
    trip(a)
    clock.advance(SETTINGS.open_s)
    b.states(["openai"])  # b caches "open, break over": older than the probe it will report
    a.admit("openai")
    view = b.record("openai", Outcome.OK, probe=True)
    assert view.state is BreakerState.CLOSED
    clock.advance(1.0)
    assert a.admit("openai").decision is Decision.CALL


def test_a_failed_probe_reopens_for_twice_as_long(
    service: BreakerService, clock: FakeClock
) -> None:
    """The probe's failure re-opens the breaker with the doubled break."""
    trip(service)
    clock.advance(SETTINGS.open_s)
    service.admit("openai")
    view = service.record("openai", Outcome.TIMEOUT, probe=True)
    assert view.state is BreakerState.OPEN
    assert view.open_until == clock.now + 2 * SETTINGS.open_s


def test_an_event_that_keeps_losing_races_is_written_with_the_next_one(clock: FakeClock) -> None:
    """After max_write_attempts conflicts the failure is kept, not lost, and written later."""
    store = ConflictingStore(conflicts=2)
    service = make_service(store, clock, max_write_attempts=2)
    service.record("openai", Outcome.TIMEOUT)
    assert store.inner.read("openai") is None
    service.record("openai", Outcome.TIMEOUT)
    assert stored(store.inner).consecutive_failures == 2


def test_flush_writes_what_is_pending(clock: FakeClock) -> None:
    """flush() writes backlogged failures and tallied successes."""
    store = ConflictingStore(conflicts=2)
    service = make_service(store, clock, max_write_attempts=2)
    service.record("openai", Outcome.OK)
    service.record("openai", Outcome.TIMEOUT)
    assert service.pending_writes == 1
    service.flush()
    assert service.pending_writes == 0
    view = service.states(["openai"])[0]
    assert (view.window_calls, view.window_failures) == (2, 1)


def test_conflicting_writers_back_off_with_jitter(clock: FakeClock) -> None:
    """Retries after the first conflict sleep a jittered, growing, capped pause."""
    pauses: list[float] = []
    service = BreakerService(
        ConflictingStore(conflicts=6),
        settings_for=lambda _p: SETTINGS,
        lease_s_for=LEASE_S.__getitem__,
        clock=clock,
        backoff_s=0.01,
        sleep=pauses.append,
        jitter=lambda: 0.5,
    )
    service.record("openai", Outcome.TIMEOUT)
    assert pauses == [0.01, 0.02, 0.025, 0.025, 0.025]


# --- operators --------------------------------------------------------------------------------


def test_force_open_skips_the_tier_until_reset(service: BreakerService, clock: FakeClock) -> None:
    """A forced breaker stays open past any break, and reset closes it."""
    service.force_open("openai")
    clock.advance(SETTINGS.max_open_s * 10)
    assert service.admit("openai").decision is Decision.SKIP
    view = service.reset("openai")
    assert (view.state, view.reason) == (BreakerState.CLOSED, Reason.RESET.value)
    assert service.admit("openai").decision is Decision.CALL


def test_states_lists_every_provider_for_operators(
    service: BreakerService, clock: FakeClock
) -> None:
    """The operator view shows state, counters, when it opened and when it may be probed."""
    trip(service)
    views = {v.provider: v for v in service.states(PROVIDERS)}
    assert views["openai"].state is BreakerState.OPEN
    assert views["openai"].consecutive_failures == 3
    assert views["openai"].opened_at == clock.now
    assert views["openai"].next_probe_at == clock.now + SETTINGS.open_s
    assert views["anthropic"].state is BreakerState.CLOSED
    assert views["anthropic"].next_probe_at is None


def test_admissions_and_views_survive_json(service: BreakerService) -> None:
    """Admissions cross the Durable activity boundary as JSON and come back equal."""
    trip(service)
    admission = service.admit("openai")
    assert Admission.from_json(admission.to_json()) == admission


# --- listeners --------------------------------------------------------------------------------


def test_listeners_hear_each_transition_once(service: BreakerService, clock: FakeClock) -> None:
    """Closed -> open -> half-open -> closed, each reported with the new view."""
    heard: list[tuple[str, BreakerState, BreakerState, str]] = []
    service.add_listener(lambda p, old, new, view: heard.append((p, old, new, view.reason)))
    trip(service)
    clock.advance(SETTINGS.open_s)
    service.admit("openai")
    service.admit("openai")
    service.record("openai", Outcome.OK, probe=True)
    closed, open_, half = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN
    assert heard == [
        ("openai", closed, open_, "consecutive_failures"),
        ("openai", open_, half, "break_ended"),
        ("openai", half, closed, "probe_succeeded"),
    ]


def test_a_failing_listener_does_not_break_recording(service: BreakerService) -> None:
    """A broken telemetry hook is logged and ignored; the breaker still trips."""

    def broken(*_args: object) -> None:
        raise RuntimeError("telemetry down")

    service.add_listener(broken)
    assert trip(service).state is BreakerState.OPEN


# --- storage outage ---------------------------------------------------------------------------


def test_an_outage_falls_back_to_local_state_and_says_so(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """With the store down, admissions still come back and report the degradation."""
    store.unavailable = True
    admission = service.admit("openai")
    assert admission.decision is Decision.CALL
    assert service.store_degraded
    assert admission.view.store_degraded


def test_breakers_still_trip_locally_during_an_outage(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """Local failures trip this instance's breaker while the store is down."""
    service.admit("openai")
    store.unavailable = True
    trip(service)
    assert service.admit("openai").decision is Decision.SKIP


def test_a_dead_store_is_not_retried_before_store_retry_s(
    service: BreakerService, store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """While degraded, requests do not pay for store calls until the retry interval passes."""
    store.unavailable = True
    service.admit_all(PROVIDERS)
    attempts = store.reads + store.writes
    for _ in range(50):
        clock.advance(0.09)
        service.admit_all(PROVIDERS)
        service.record("openai", Outcome.TIMEOUT)
    assert store.reads + store.writes == attempts


def test_the_store_catches_up_with_a_local_trip_when_it_returns(
    service: BreakerService, store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """A trip made during the outage is written through once the store answers again."""
    store.unavailable = True
    view = trip(service)
    store.unavailable = False
    clock.advance(5.0)
    service.admit("openai")
    assert not service.store_degraded
    assert stored(store).state is BreakerState.OPEN
    assert stored(store).open_until == view.open_until
    assert stored(store).reason is Reason.OUTAGE_CATCH_UP


def test_a_local_break_that_has_ended_is_not_written_back(
    service: BreakerService, store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """An outage longer than the local break leaves nothing to catch up."""
    store.unavailable = True
    trip(service)
    store.unavailable = False
    clock.advance(SETTINGS.open_s)
    service.admit("openai")
    assert not service.store_degraded
    assert store.read("openai") is None


def test_after_an_outage_the_stored_state_wins_over_local_counters(
    store: InMemoryBreakerStore, clock: FakeClock
) -> None:
    """Local failures that did not trip are dropped; another instance's trip is adopted."""
    a, b = make_service(store, clock), make_service(store, clock)
    store.unavailable = True
    b.record("openai", Outcome.TIMEOUT)
    store.unavailable = False
    trip(a)
    clock.advance(5.0)
    assert b.admit("openai").decision is Decision.SKIP
    assert stored(store).consecutive_failures == 3


def test_operator_changes_fail_loudly_during_an_outage(
    service: BreakerService, store: InMemoryBreakerStore
) -> None:
    """force_open must not pretend to work when other instances would never see it."""
    store.unavailable = True
    with pytest.raises(StoreUnavailableError):
        service.force_open("openai")


def test_a_table_store_at_a_closed_port_degrades_without_blocking(clock: FakeClock) -> None:
    """Real connection errors from azure-data-tables become a degraded but working breaker."""
    dead = TableBreakerStore.from_connection_string(
        azurite.connection_string(azurite.free_port()), "breakers", timeout_s=0.5
    )
    service = make_service(dead, clock)
    admissions = service.admit_all(PROVIDERS)
    service.record("openai", Outcome.TIMEOUT)
    assert all(a.decision is Decision.CALL for a in admissions.values())
    assert service.store_degraded
    dead.close()


def test_for_config_takes_settings_and_leases_from_the_tiers(clock: FakeClock) -> None:
    """The probe lease is the tier total time plus probe_lease_margin_s, per tier."""
    failover = load_config().failover
    tier = failover.tier("azure_openai")
    service = BreakerService.for_config(InMemoryBreakerStore(), failover, clock=clock)
    for _ in range(tier.breaker.failure_threshold):
        service.record(tier.name, Outcome.UNAVAILABLE)
    clock.advance(tier.breaker.open_s)
    admission = service.admit(tier.name)
    assert admission.probe
    lease_s = tier.total_s + tier.breaker.probe_lease_margin_s
    assert admission.view.probe_lease_until == clock.now + lease_s
