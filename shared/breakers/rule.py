"""The circuit-breaker rule: a pure transition ``step(state, event, now, settings) -> state``.

Nothing here reads a clock, does I/O or keeps state between calls, so the whole rule is tested
by feeding events and times. ``now`` is always wall-clock epoch seconds (a float), because the
state is shared between machines through Table Storage and its deadlines must mean the same
thing on every instance.

States and the events that move between them::

    CLOSED --Failure (N in a row, or ratio >= threshold over the window)--> OPEN
    OPEN   --Admit, once open_until has passed (claims the probe lease)---> HALF_OPEN
    HALF_OPEN --Success(probe)--> CLOSED (counters reset)
    HALF_OPEN --Failure(probe)--> OPEN (break doubles, capped)
    any    --ForceOpen--> OPEN (held until Reset)      any --Reset--> CLOSED

Counting rules (see :func:`outcome_event`):

* Only outcomes with :attr:`~shared.models.Outcome.counts_against_provider` are failures.
  ``ok`` is a success. Every other outcome (bad request, content filtered, not configured...) is
  :class:`Neutral`: it says nothing about the provider's health, so it touches neither the
  consecutive count nor the ratio window, and a neutral probe just frees the lease.
* The ratio window is :data:`WINDOW_BUCKETS` buckets of ``ratio_window_s / WINDOW_BUCKETS``
  seconds, each holding (calls, failures). It covers the current bucket and the ones before it,
  so the window slides in bucket-sized steps and spans between 11/12 and 12/12 of
  ``ratio_window_s``. That keeps the stored entity small and of bounded size.
* Results that arrive while the breaker is open, and non-probe results while half-open, are
  late answers to calls admitted before the trip: they change nothing.
* A probe result is applied whenever the breaker is half-open, even if that probe's lease has
  expired and been re-granted: any answer from the provider is evidence of its health.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from shared.models import Outcome
from shared.platform import BreakerSettings

WINDOW_BUCKETS = 12
# Doubling beyond this many failed probes cannot matter (any max_open_s is long passed) and
# would only risk float overflow.
_MAX_DOUBLINGS = 32


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Reason(StrEnum):
    """Why the last state transition happened (shown to operators)."""

    NONE = ""
    CONSECUTIVE_FAILURES = "consecutive_failures"
    FAILURE_RATIO = "failure_ratio"
    AUTH_ERROR = "auth_error"
    PROBE_FAILED = "probe_failed"
    PROBE_SUCCEEDED = "probe_succeeded"
    BREAK_ENDED = "break_ended"
    FORCED_OPEN = "forced_open"
    RESET = "reset"
    OUTAGE_CATCH_UP = "outage_catch_up"


class Decision(StrEnum):
    """What a caller may do with a tier right now."""

    CALL = "call"  # closed: call it
    PROBE = "probe"  # half-open and this caller holds the one probe lease
    SKIP = "skip"  # open, or another caller holds the probe lease


@dataclass(frozen=True, slots=True)
class Bucket:
    """Calls and counted failures that started in one slice of the ratio window."""

    index: int  # floor(now / bucket width)
    calls: int
    failures: int = 0


@dataclass(frozen=True, slots=True)
class Breaker:
    """One provider's breaker, exactly as stored."""

    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    bucket_s: float = 0.0  # width the buckets were cut with; a config change discards them
    buckets: tuple[Bucket, ...] = ()
    opened_at: float | None = None
    open_until: float | None = None  # None while open only when forced
    failed_probes: int = 0  # failed probes since the breaker last closed: drives the doubling
    probe_lease_until: float | None = None
    probes: int = 0  # leases granted so far; a new value means a new probe was claimed
    forced: bool = False
    reason: Reason = Reason.NONE
    changed_at: float | None = None


@dataclass(frozen=True, slots=True)
class Admit:
    """A caller asks to call the tier; may claim the probe lease for ``lease_s`` seconds."""

    lease_s: float


@dataclass(frozen=True, slots=True)
class Success:
    probe: bool = False


@dataclass(frozen=True, slots=True)
class Failure:
    """A counted failure. ``retry_after_s`` is the provider's Retry-After, if it sent one."""

    outcome: Outcome
    retry_after_s: float | None = None
    probe: bool = False

    def __post_init__(self) -> None:
        if not self.outcome.counts_against_provider:
            raise ValueError(f"outcome {self.outcome.value!r} does not count as a failure")


@dataclass(frozen=True, slots=True)
class Neutral:
    """An outcome that says nothing about the provider's health."""

    probe: bool = False


@dataclass(frozen=True, slots=True)
class Tally:
    """Calls this instance saw but has not yet written (closed-state successes are batched)."""

    buckets: tuple[Bucket, ...]


@dataclass(frozen=True, slots=True)
class Trip:
    """Open a closed breaker until ``until`` (an instance's local trip, written after an outage)."""

    until: float
    reason: Reason = Reason.OUTAGE_CATCH_UP


@dataclass(frozen=True, slots=True)
class ForceOpen:
    """Operator maintenance: open and stay open, without probes, until :class:`Reset`."""


@dataclass(frozen=True, slots=True)
class Reset:
    """Operator: close and forget every counter."""


Event = Admit | Success | Failure | Neutral | Tally | Trip | ForceOpen | Reset


def outcome_event(
    outcome: Outcome, retry_after_s: float | None = None, *, probe: bool = False
) -> Success | Failure | Neutral:
    """The event that one tier attempt's outcome feeds to its breaker."""
    if outcome is Outcome.OK:
        return Success(probe=probe)
    if outcome.counts_against_provider:
        return Failure(outcome, retry_after_s, probe=probe)
    return Neutral(probe=probe)


def bucket_width(settings: BreakerSettings) -> float:
    return settings.ratio_window_s / WINDOW_BUCKETS


def bucket_index(now: float, settings: BreakerSettings) -> int:
    return math.floor(now / bucket_width(settings))


def window(state: Breaker, now: float, settings: BreakerSettings) -> tuple[Bucket, ...]:
    """The buckets still inside the ratio window at ``now``."""
    if state.bucket_s != bucket_width(settings):
        return ()
    oldest = bucket_index(now, settings) - WINDOW_BUCKETS + 1
    return tuple(b for b in state.buckets if b.index >= oldest)


def window_totals(state: Breaker, now: float, settings: BreakerSettings) -> tuple[int, int]:
    """(calls, failures) inside the ratio window at ``now``."""
    live = window(state, now, settings)
    return sum(b.calls for b in live), sum(b.failures for b in live)


def break_s(
    settings: BreakerSettings,
    *,
    failed_probes: int,
    outcome: Outcome,
    retry_after_s: float | None = None,
) -> float:
    """How long the breaker stays open when ``outcome`` opens it."""
    if outcome is Outcome.AUTH_ERROR:
        # A rejected key does not heal by itself: only a config change or an operator fixes it.
        return settings.max_open_s
    doubled = settings.open_s * 2.0 ** min(failed_probes, _MAX_DOUBLINGS)
    duration = min(doubled, settings.max_open_s)
    if retry_after_s is not None and retry_after_s > 0:
        duration = max(duration, min(retry_after_s, settings.max_open_s))
    return duration


def decide(state: Breaker, now: float) -> Decision:
    """What :class:`Admit` would grant at ``now``; PROBE exactly when Admit claims the lease."""
    if state.state is BreakerState.CLOSED:
        return Decision.CALL
    if state.state is BreakerState.OPEN:
        if state.forced or state.open_until is None or now < state.open_until:
            return Decision.SKIP
        return Decision.PROBE
    if state.probe_lease_until is not None and now < state.probe_lease_until:
        return Decision.SKIP
    return Decision.PROBE


def step(state: Breaker, event: Event, now: float, settings: BreakerSettings) -> Breaker:
    """The breaker after ``event`` at ``now``; ``state`` itself when nothing changes."""
    match event:
        case Admit(lease_s=lease_s):
            new = _admit(state, lease_s, now)
        case Success(probe=probe):
            new = _success(state, probe, now, settings)
        case Failure():
            new = _failure(state, event, now, settings)
        case Neutral(probe=probe):
            new = _neutral(state, probe)
        case Tally(buckets=buckets):
            counts = state.state is BreakerState.CLOSED
            new = _count(state, buckets, now, settings) if counts else state
        case Trip(until=until, reason=reason):
            trips = state.state is BreakerState.CLOSED and until > now
            new = _open(state, now, until, failed_probes=0, reason=reason) if trips else state
        case ForceOpen():
            new = state if state.forced else _force_open(state, now)
        case Reset():
            new = Breaker(reason=Reason.RESET, changed_at=now, probes=state.probes)
    return new


def _admit(state: Breaker, lease_s: float, now: float) -> Breaker:
    if decide(state, now) is not Decision.PROBE:
        return state
    claimed = replace(state, probe_lease_until=now + lease_s, probes=state.probes + 1)
    if state.state is BreakerState.OPEN:
        return replace(
            claimed, state=BreakerState.HALF_OPEN, reason=Reason.BREAK_ENDED, changed_at=now
        )
    return claimed


def _neutral(state: Breaker, probe: bool) -> Breaker:
    if probe and state.state is BreakerState.HALF_OPEN:
        # Free the lease so the next request probes instead of waiting for it to expire.
        return replace(state, probe_lease_until=None)
    return state


def _force_open(state: Breaker, now: float) -> Breaker:
    opened = _open(state, now, None, failed_probes=state.failed_probes, reason=Reason.FORCED_OPEN)
    return replace(opened, forced=True)


def _success(state: Breaker, probe: bool, now: float, settings: BreakerSettings) -> Breaker:
    if state.state is BreakerState.CLOSED:
        counted = _count(state, (Bucket(bucket_index(now, settings), 1),), now, settings)
        return replace(counted, consecutive_failures=0)
    if state.state is BreakerState.HALF_OPEN and probe:
        return Breaker(reason=Reason.PROBE_SUCCEEDED, changed_at=now, probes=state.probes)
    return state


def _failure(state: Breaker, event: Failure, now: float, settings: BreakerSettings) -> Breaker:
    if state.state is BreakerState.HALF_OPEN and event.probe:
        failed_probes = state.failed_probes + 1
        until = now + break_s(
            settings,
            failed_probes=failed_probes,
            outcome=event.outcome,
            retry_after_s=event.retry_after_s,
        )
        return _open(state, now, until, failed_probes=failed_probes, reason=Reason.PROBE_FAILED)
    if state.state is not BreakerState.CLOSED:
        return state
    counted = _count(state, (Bucket(bucket_index(now, settings), 1, 1),), now, settings)
    counted = replace(counted, consecutive_failures=state.consecutive_failures + 1)
    reason = _trip_reason(counted, event.outcome, now, settings)
    if reason is Reason.NONE:
        return counted
    until = now + break_s(
        settings, failed_probes=0, outcome=event.outcome, retry_after_s=event.retry_after_s
    )
    return _open(counted, now, until, failed_probes=0, reason=reason)


def _trip_reason(state: Breaker, outcome: Outcome, now: float, settings: BreakerSettings) -> Reason:
    calls, failures = window_totals(state, now, settings)
    if state.consecutive_failures >= settings.failure_threshold:
        reason = Reason.CONSECUTIVE_FAILURES
    elif calls >= settings.ratio_min_calls and failures >= settings.ratio_threshold * calls:
        reason = Reason.FAILURE_RATIO
    else:
        return Reason.NONE
    # Say why it is open for so long: the auth error, not the count that happened to trip it.
    return Reason.AUTH_ERROR if outcome is Outcome.AUTH_ERROR else reason


def _count(
    state: Breaker, extra: tuple[Bucket, ...], now: float, settings: BreakerSettings
) -> Breaker:
    """``state`` with ``extra`` merged into its window and expired buckets dropped."""
    totals: dict[int, tuple[int, int]] = {
        b.index: (b.calls, b.failures) for b in window(state, now, settings)
    }
    oldest = bucket_index(now, settings) - WINDOW_BUCKETS + 1
    for bucket in extra:
        if bucket.index < oldest:
            continue
        calls, failures = totals.get(bucket.index, (0, 0))
        totals[bucket.index] = (calls + bucket.calls, failures + bucket.failures)
    buckets = tuple(Bucket(i, c, f) for i, (c, f) in sorted(totals.items()))
    return replace(state, bucket_s=bucket_width(settings), buckets=buckets)


def _open(
    state: Breaker, now: float, until: float | None, *, failed_probes: int, reason: Reason
) -> Breaker:
    return replace(
        state,
        state=BreakerState.OPEN,
        opened_at=now,
        open_until=until,
        failed_probes=failed_probes,
        probe_lease_until=None,
        reason=reason,
        changed_at=now,
    )
