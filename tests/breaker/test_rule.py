"""The pure transition rule: ``step(state, event, now, settings)`` and ``decide(state, now)``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest

from shared.breakers.rule import (
    Admit,
    Breaker,
    BreakerState,
    Bucket,
    Decision,
    Event,
    Failure,
    ForceOpen,
    Neutral,
    Reason,
    Reset,
    Success,
    Tally,
    Trip,
    bucket_index,
    decide,
    outcome_event,
    step,
    window_totals,
)
from shared.models import Outcome
from shared.platform.config import BreakerSettings

from .conftest import T0

SETTINGS = BreakerSettings()  # 3 in a row; 50% of >= 10 calls in 60 s; 30 s open, 300 s max
LEASE_S = 5.0
FAIL = Failure(Outcome.TIMEOUT)


def run(events: Iterable[Event], *, state: Breaker | None = None, at: float = T0) -> Breaker:
    """Apply ``events`` one after another at time ``at``."""
    current = state or Breaker()
    for event in events:
        current = step(current, event, at, SETTINGS)
    return current


def tripped(at: float = T0, outcome: Outcome = Outcome.TIMEOUT) -> Breaker:
    return run([FAIL, FAIL, Failure(outcome)], at=at)


def half_open(failed_probes: int = 0) -> tuple[Breaker, float]:
    """A breaker holding a probe lease, and the time the lease was claimed."""
    state = replace(tripped(), failed_probes=failed_probes)
    assert state.open_until is not None
    at = state.open_until
    return step(state, Admit(LEASE_S), at, SETTINGS), at


def alternating(calls: int, failures: int) -> list[Event]:
    """``calls`` results ending in a failure, with failures never adjacent (no streak trips)."""
    pattern: list[Event] = [Success()] * calls
    for k in range(failures):
        pattern[calls - 1 - 2 * k] = FAIL
    return pattern


# --- outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", list(Outcome))
def test_outcome_event_maps_every_outcome(outcome: Outcome) -> None:
    """ok is a success, counted outcomes are failures, everything else is neutral."""
    event = outcome_event(outcome, probe=True)
    if outcome is Outcome.OK:
        assert event == Success(probe=True)
    elif outcome.counts_against_provider:
        assert event == Failure(outcome, probe=True)
    else:
        assert event == Neutral(probe=True)


def test_failure_refuses_an_outcome_that_does_not_count() -> None:
    """A Failure event cannot be built from an outcome that is not the provider's fault."""
    with pytest.raises(ValueError, match="bad_request"):
        Failure(Outcome.BAD_REQUEST)


@pytest.mark.parametrize(
    "outcome", [Outcome.BAD_REQUEST, Outcome.CONTENT_FILTERED, Outcome.NOT_CONFIGURED]
)
def test_neutral_outcomes_touch_neither_streak_nor_window(outcome: Outcome) -> None:
    """Outcomes that are not the provider's fault leave a closed breaker exactly as it was."""
    before = run([FAIL, FAIL])
    after = run([outcome_event(outcome)] * 10, state=before)
    assert after is before


# --- consecutive failures ---------------------------------------------------------------------


def test_one_failure_short_of_the_threshold_stays_closed() -> None:
    """N-1 consecutive failures keep the breaker closed."""
    state = run([FAIL] * (SETTINGS.failure_threshold - 1))
    assert state.state is BreakerState.CLOSED
    assert state.consecutive_failures == SETTINGS.failure_threshold - 1


def test_the_threshold_failure_opens_it() -> None:
    """The Nth consecutive failure opens the breaker and says why."""
    state = run([FAIL] * SETTINGS.failure_threshold)
    assert state.state is BreakerState.OPEN
    assert state.reason is Reason.CONSECUTIVE_FAILURES
    assert state.opened_at == T0


def test_a_success_resets_the_streak() -> None:
    """A success between failures restarts the consecutive count."""
    state = run([FAIL, FAIL, Success(), FAIL, FAIL])
    assert state.state is BreakerState.CLOSED
    assert state.consecutive_failures == 2


@pytest.mark.parametrize("outcome", [o for o in Outcome if o.counts_against_provider])
def test_every_counted_outcome_adds_to_the_streak(outcome: Outcome) -> None:
    """timeout, unavailable, rate_limited and auth_error all count."""
    assert run([Failure(outcome)]).consecutive_failures == 1


# --- failure ratio over the sliding window ------------------------------------------------------


def test_ratio_at_exactly_the_minimum_calls_opens_it() -> None:
    """5 failures in 10 calls (50% at the minimum count) opens it for the ratio."""
    state = run(alternating(10, 5))
    assert state.state is BreakerState.OPEN
    assert state.reason is Reason.FAILURE_RATIO


def test_ratio_below_the_minimum_calls_stays_closed() -> None:
    """5 failures in 9 calls is over 50% but below the minimum number of calls."""
    state = run(alternating(9, 5))
    assert state.state is BreakerState.CLOSED
    assert window_totals(state, T0, SETTINGS) == (9, 5)


def test_ratio_below_the_threshold_stays_closed() -> None:
    """4 failures in 10 calls (40%) keeps it closed."""
    assert run(alternating(10, 4)).state is BreakerState.CLOSED


def test_calls_leave_the_window_when_their_bucket_expires() -> None:
    """A call counts until its bucket slides out of the 60 s window, then it is forgotten."""
    state = run([FAIL], at=T0)
    bucket_end = (bucket_index(T0, SETTINGS) + 1) * SETTINGS.ratio_window_s / 12
    assert window_totals(state, bucket_end + 55 - 0.001, SETTINGS) == (1, 1)
    assert window_totals(state, bucket_end + 55, SETTINGS) == (0, 0)


def test_expired_calls_no_longer_count_towards_the_ratio() -> None:
    """9 calls from a minute ago plus a new failure is 1 call in the window, not 10."""
    old = run(alternating(9, 4), at=T0)
    state = run([FAIL], state=old, at=T0 + SETTINGS.ratio_window_s)
    assert state.state is BreakerState.CLOSED
    assert window_totals(state, T0 + SETTINGS.ratio_window_s, SETTINGS) == (1, 1)


def test_a_changed_window_setting_discards_old_buckets() -> None:
    """Buckets cut for one window width are meaningless for another, so they are dropped."""
    state = run(alternating(9, 4))
    wider = replace(SETTINGS, ratio_window_s=120.0)
    assert window_totals(state, T0, wider) == (0, 0)


def test_a_tally_adds_calls_to_a_closed_window() -> None:
    """Successes tallied locally join the window when written."""
    index = bucket_index(T0, SETTINGS)
    state = run([Tally((Bucket(index, 6), Bucket(index - 1, 3)))])
    assert window_totals(state, T0, SETTINGS) == (9, 0)


def test_a_tally_of_expired_buckets_is_ignored() -> None:
    """Tallied calls older than the window are dropped on the way in."""
    stale = Bucket(bucket_index(T0, SETTINGS) - 12, 6)
    assert window_totals(run([Tally((stale,))]), T0, SETTINGS) == (0, 0)


def test_a_tally_does_not_touch_an_open_breaker() -> None:
    """Calls from before a trip are irrelevant once it is open."""
    state = tripped()
    assert step(state, Tally((Bucket(bucket_index(T0, SETTINGS), 5),)), T0, SETTINGS) is state


# --- how long it stays open -------------------------------------------------------------------


def test_a_trip_opens_for_open_s() -> None:
    """Skipped until open_s has passed, then the next caller may probe."""
    state = tripped()
    assert state.open_until == T0 + SETTINGS.open_s
    assert decide(state, T0 + SETTINGS.open_s - 0.001) is Decision.SKIP
    assert decide(state, T0 + SETTINGS.open_s) is Decision.PROBE


def test_each_failed_probe_doubles_the_break_up_to_the_cap() -> None:
    """30 s, then 60, 120, 240, and never more than max_open_s."""
    state = tripped()
    durations = []
    for _ in range(5):
        assert state.open_until is not None
        at = state.open_until
        state = step(state, Admit(LEASE_S), at, SETTINGS)
        state = step(state, Failure(Outcome.TIMEOUT, probe=True), at, SETTINGS)
        assert state.open_until is not None
        durations.append(state.open_until - at)
    assert durations == [60.0, 120.0, 240.0, 300.0, 300.0]


def test_a_successful_probe_resets_the_doubling() -> None:
    """After a recovery, the next trip starts again at open_s."""
    state, at = half_open(failed_probes=3)
    state = step(state, Success(probe=True), at, SETTINGS)
    state = run([FAIL] * 3, state=state, at=at + 1)
    assert state.open_until == at + 1 + SETTINGS.open_s


@pytest.mark.parametrize(
    ("retry_after_s", "expected_s"),
    [(10.0, 30.0), (90.0, 90.0), (1000.0, 300.0), (None, 30.0), (0.0, 30.0)],
)
def test_retry_after_keeps_it_open_at_least_that_long_but_capped(
    retry_after_s: float | None, expected_s: float
) -> None:
    """A Retry-After shorter than open_s changes nothing; longer extends it, up to max_open_s."""
    state = run([FAIL, FAIL, Failure(Outcome.RATE_LIMITED, retry_after_s)])
    assert state.open_until == T0 + expected_s


def test_retry_after_on_a_failed_probe_beats_the_doubled_break() -> None:
    """A failed probe's Retry-After wins over the doubled break when it is longer."""
    state, at = half_open()
    state = step(state, Failure(Outcome.RATE_LIMITED, 100.0, probe=True), at, SETTINGS)
    assert state.open_until == at + 100.0


def test_an_auth_error_trip_opens_for_the_maximum() -> None:
    """A rejected key will not heal by itself: the break is max_open_s."""
    state = tripped(outcome=Outcome.AUTH_ERROR)
    assert state.open_until == T0 + SETTINGS.max_open_s
    assert state.reason is Reason.AUTH_ERROR


def test_an_auth_error_on_a_probe_reopens_for_the_maximum() -> None:
    """A probe rejected for its key also re-opens for max_open_s."""
    state, at = half_open()
    state = step(state, Failure(Outcome.AUTH_ERROR, probe=True), at, SETTINGS)
    assert state.open_until == at + SETTINGS.max_open_s


def test_results_arriving_while_open_change_nothing() -> None:
    """Late answers to calls admitted before the trip are ignored."""
    state = tripped()
    for event in (FAIL, Success(), Neutral(), Success(probe=True)):
        assert step(state, event, T0 + 1, SETTINGS) is state


# --- half-open and the probe lease --------------------------------------------------------------


def test_the_first_caller_after_the_break_claims_the_probe() -> None:
    """Admit after open_until moves to half-open and grants a lease of lease_s."""
    state, at = half_open()
    assert state.state is BreakerState.HALF_OPEN
    assert state.probe_lease_until == at + LEASE_S
    assert state.probes == 1
    assert state.reason is Reason.BREAK_ENDED


def test_a_second_caller_is_skipped_while_the_lease_is_held() -> None:
    """Only one probe: everyone else skips the tier as if it were open."""
    state, at = half_open()
    assert decide(state, at + LEASE_S - 0.001) is Decision.SKIP
    assert step(state, Admit(LEASE_S), at + 1, SETTINGS) is state


def test_an_expired_lease_is_granted_again() -> None:
    """A probe that never reports back frees its lease when the lease runs out."""
    state, at = half_open()
    assert decide(state, at + LEASE_S) is Decision.PROBE
    again = step(state, Admit(LEASE_S), at + LEASE_S, SETTINGS)
    assert again.probes == state.probes + 1
    assert again.probe_lease_until == at + 2 * LEASE_S


def test_a_neutral_probe_frees_the_lease_at_once() -> None:
    """A probe that says nothing about health lets the next caller probe straight away."""
    state, at = half_open()
    freed = step(state, Neutral(probe=True), at + 1, SETTINGS)
    assert freed.state is BreakerState.HALF_OPEN
    assert decide(freed, at + 1) is Decision.PROBE


def test_a_successful_probe_closes_and_resets_the_counters() -> None:
    """Probe success: closed, no streak, empty window, no break history."""
    state, at = half_open(failed_probes=2)
    closed = step(state, Success(probe=True), at + 1, SETTINGS)
    assert closed.state is BreakerState.CLOSED
    assert closed.reason is Reason.PROBE_SUCCEEDED
    assert (closed.consecutive_failures, closed.buckets, closed.failed_probes) == (0, (), 0)
    assert (closed.opened_at, closed.open_until, closed.probe_lease_until) == (None, None, None)


def test_a_failed_probe_reopens() -> None:
    """Probe failure: open again, with the reason and the lease gone."""
    state, at = half_open()
    reopened = step(state, Failure(Outcome.UNAVAILABLE, probe=True), at + 1, SETTINGS)
    assert reopened.state is BreakerState.OPEN
    assert reopened.reason is Reason.PROBE_FAILED
    assert reopened.probe_lease_until is None
    assert reopened.opened_at == at + 1


def test_non_probe_results_while_half_open_change_nothing() -> None:
    """Only the probe decides; stragglers from before the trip do not."""
    state, at = half_open()
    for event in (FAIL, Success(), Neutral()):
        assert step(state, event, at + 1, SETTINGS) is state


def test_a_closed_breaker_admits_without_changing() -> None:
    """Admit on a closed breaker is a plain CALL and no write."""
    state = Breaker()
    assert decide(state, T0) is Decision.CALL
    assert step(state, Admit(LEASE_S), T0, SETTINGS) is state


@pytest.mark.parametrize("offset", [0.0, 29.0, 30.0, 31.0, 36.0])
def test_decide_says_probe_exactly_when_admit_claims_the_lease(offset: float) -> None:
    """decide() and step(Admit) agree for open and half-open breakers at any time."""
    for state in (tripped(), half_open()[0]):
        at = T0 + offset
        claimed = step(state, Admit(LEASE_S), at, SETTINGS).probes != state.probes
        assert (decide(state, at) is Decision.PROBE) == claimed


# --- operators and catch-up -------------------------------------------------------------------


def test_force_open_holds_until_reset_with_no_probes() -> None:
    """A forced breaker never offers a probe, however long it has been open."""
    state = step(Breaker(), ForceOpen(), T0, SETTINGS)
    assert state.state is BreakerState.OPEN
    assert state.forced
    assert decide(state, T0 + 1e7) is Decision.SKIP


def test_force_open_twice_is_no_change() -> None:
    """Forcing an already forced breaker leaves it as it is (no second write)."""
    state = step(Breaker(), ForceOpen(), T0, SETTINGS)
    assert step(state, ForceOpen(), T0 + 5, SETTINGS) is state


@pytest.mark.parametrize("kind", ["tripped", "forced", "half_open"])
def test_reset_closes_and_clears_everything(kind: str) -> None:
    """Reset from any state gives a fresh closed breaker."""
    start = {
        "tripped": tripped(),
        "forced": step(tripped(), ForceOpen(), T0, SETTINGS),
        "half_open": half_open(failed_probes=2)[0],
    }[kind]
    state = step(start, Reset(), T0 + 100, SETTINGS)
    assert state.state is BreakerState.CLOSED
    assert state.reason is Reason.RESET
    assert (state.consecutive_failures, state.buckets, state.failed_probes) == (0, (), 0)
    assert not state.forced


def test_a_catch_up_trip_opens_a_closed_breaker_until_the_given_time() -> None:
    """A local trip written after an outage keeps its original end."""
    state = step(Breaker(), Trip(T0 + 12), T0, SETTINGS)
    assert state.state is BreakerState.OPEN
    assert state.open_until == T0 + 12
    assert state.reason is Reason.OUTAGE_CATCH_UP


@pytest.mark.parametrize("until", [T0, T0 - 1])
def test_a_catch_up_trip_that_has_already_ended_is_ignored(until: float) -> None:
    """A local break that is already over is not written back."""
    assert step(Breaker(), Trip(until), T0, SETTINGS) == Breaker()


def test_a_catch_up_trip_does_not_override_an_open_breaker() -> None:
    """If the store already has it open, the store's break stands."""
    state = tripped()
    assert step(state, Trip(T0 + 1000), T0, SETTINGS) is state
