"""The breakers an instance uses: the pure rule in :mod:`shared.breakers.rule` over a shared store.

Cost model (what makes the steady state cheap):

* **Reads.** Each provider's state is cached for ``cache_ttl_s`` (1 s).
  :meth:`BreakerService.admit_all` refreshes every stale provider with one ``read_all``, so a
  busy instance reads the table at most once per TTL, whatever its request rate, and sees
  another instance's trip within a TTL.
* **Writes.** A success in the closed state with no failure streak to reset writes nothing: it is
  tallied locally and folded into this instance's next write (it only matters to the ratio
  window, which is only evaluated when a failure is written). Every other change (failures,
  a streak reset, transitions, the probe lease) is an optimistic ETag write; on a conflict the
  service re-reads and re-applies, up to ``max_write_attempts`` times with jittered back-off.
  An event that still cannot be written is kept and replayed in front of the next write, so a
  counted failure is never silently lost.
* Across instances the counters are exact (the ETag write is the source of truth) but the
  *decision* to write is made on a cached state up to one TTL old. So a success may fail to
  reset a streak that another instance started less than a TTL ago, and other instances' tallied
  successes reach the window late: both err towards tripping sooner, which fails over sooner.

Outage rule: if the store is unreachable the service marks itself ``store_degraded``, runs every
breaker on this instance's own copy (seeded from the last state it read), and chat carries on.
It tries the store again at most once per ``store_retry_s``. When the store answers again, any
local trip whose break has not ended is written through if the stored breaker is still closed;
everything else the stored state wins, and local counters are dropped. While degraded each
instance may send its own probe, since the lease cannot be shared. Operator changes
(:meth:`BreakerService.force_open`, :meth:`BreakerService.reset`) are never kept locally: they
raise :class:`~shared.breakers.store.StoreUnavailableError`, because a change that only this
instance saw would mislead the operator.

Every method is thread-safe. Store I/O runs under one lock, so an instance never races itself;
listeners run after the lock is released.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from shared.breakers.rule import (
    Admit,
    Breaker,
    BreakerState,
    Bucket,
    Decision,
    Event,
    ForceOpen,
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
from shared.breakers.store import BreakerStore, StoreUnavailableError, Versioned, WriteConflictError
from shared.events import BreakerChanged, Events
from shared.models import Outcome
from shared.platform import BreakerSettings, FailoverConfig, TierConfig

logger = logging.getLogger(__name__)

# Events that could not be written are replayed later; beyond this many the oldest are dropped,
# since a backlog that long means the store is effectively unusable.
_MAX_BACKLOG = 100
_MAX_BACKOFF_S = 0.05


@dataclass(frozen=True, slots=True)
class BreakerView:
    """One provider's breaker as callers and operators see it. Times are epoch seconds."""

    provider: str
    state: BreakerState
    consecutive_failures: int
    window_calls: int
    window_failures: int
    opened_at: float | None
    open_until: float | None
    next_probe_at: float | None  # None when closed or forced open
    probe_lease_until: float | None
    failed_probes: int
    forced: bool
    reason: str
    changed_at: float | None
    store_degraded: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "state": self.state.value,
            "consecutive_failures": self.consecutive_failures,
            "window_calls": self.window_calls,
            "window_failures": self.window_failures,
            "opened_at": self.opened_at,
            "open_until": self.open_until,
            "next_probe_at": self.next_probe_at,
            "probe_lease_until": self.probe_lease_until,
            "failed_probes": self.failed_probes,
            "forced": self.forced,
            "reason": self.reason,
            "changed_at": self.changed_at,
            "store_degraded": self.store_degraded,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BreakerView:
        return cls(**{**data, "state": BreakerState(data["state"])})


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether one request may call one tier, with the breaker it saw."""

    provider: str
    decision: Decision
    view: BreakerView

    @property
    def allowed(self) -> bool:
        return self.decision is not Decision.SKIP

    @property
    def probe(self) -> bool:
        """This request holds the probe lease: report its outcome with ``probe=True``."""
        return self.decision is Decision.PROBE

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "decision": self.decision.value,
            "view": self.view.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Admission:
        return cls(
            provider=data["provider"],
            decision=Decision(data["decision"]),
            view=BreakerView.from_json(data["view"]),
        )


class StateListener(Protocol):
    def __call__(
        self, provider: str, old: BreakerState, new: BreakerState, view: BreakerView, /
    ) -> None: ...


def probe_lease_s(tier: TierConfig) -> float:
    """How long a probe may take before its lease is freed: the most the tier may spend
    writing its answer (its total time) plus a margin."""
    return tier.total_s + tier.breaker.probe_lease_margin_s


def view_of(
    provider: str, state: Breaker, now: float, settings: BreakerSettings, *, degraded: bool
) -> BreakerView:
    """Project a stored breaker for display."""
    calls, failures = window_totals(state, now, settings)
    next_probe_at: float | None = None
    if state.state is BreakerState.OPEN and not state.forced:
        next_probe_at = state.open_until
    elif state.state is BreakerState.HALF_OPEN:
        lease = state.probe_lease_until
        next_probe_at = lease if lease is not None and lease > now else now
    return BreakerView(
        provider=provider,
        state=state.state,
        consecutive_failures=state.consecutive_failures,
        window_calls=calls,
        window_failures=failures,
        opened_at=state.opened_at,
        open_until=state.open_until,
        next_probe_at=next_probe_at,
        probe_lease_until=state.probe_lease_until,
        failed_probes=state.failed_probes,
        forced=state.forced,
        reason=state.reason.value,
        changed_at=state.changed_at,
        store_degraded=degraded,
    )


@dataclass(slots=True)
class _Cached:
    current: Versioned | None  # None: the store has no entity, i.e. a fresh closed breaker
    read_at: float


_Change = tuple[str, BreakerState, BreakerState, BreakerView]


class BreakerService:
    """Admits calls to providers and records their outcomes, sharing state through ``store``."""

    def __init__(
        self,
        store: BreakerStore,
        settings_for: Callable[[str], BreakerSettings],
        lease_s_for: Callable[[str], float],
        *,
        clock: Callable[[], float] = time.time,
        cache_ttl_s: float = 1.0,
        store_retry_s: float = 5.0,
        max_write_attempts: int = 10,
        backoff_s: float = 0.002,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        events: Events | None = None,
    ) -> None:
        if max_write_attempts < 1:
            raise ValueError("max_write_attempts must be at least 1")
        self._store = store
        self._settings_for = settings_for
        self._lease_s_for = lease_s_for
        self._clock = clock
        self._ttl = cache_ttl_s
        self._store_retry_s = store_retry_s
        self._max_attempts = max_write_attempts
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.Lock()
        self._cache: dict[str, _Cached] = {}
        self._tally: dict[str, dict[int, int]] = {}
        self._backlog: dict[str, list[Event]] = {}
        self._local: dict[str, Breaker] | None = None  # set while the store is degraded
        self._retry_store_at = 0.0
        self._listeners: list[StateListener] = []
        self._events = events

    @classmethod
    def for_config(
        cls, store: BreakerStore, failover: FailoverConfig, **options: Any
    ) -> BreakerService:
        """A service whose settings and probe leases come from the tiers in ``failover``."""
        return cls(
            store,
            settings_for=lambda provider: failover.tier(provider).breaker,
            lease_s_for=lambda provider: probe_lease_s(failover.tier(provider)),
            **options,
        )

    # --- public API -------------------------------------------------------------------------

    @property
    def store_degraded(self) -> bool:
        """True while the shared store is unreachable and breakers run on local state."""
        return self._local is not None

    def probe_store(self) -> None:
        """Read the shared store afresh, bypassing the cache; raises
        :class:`~shared.breakers.store.StoreUnavailableError` when it does not answer."""
        self._store.read_all()

    @property
    def pending_writes(self) -> int:
        """Events that lost every write race and wait to be replayed with the next write."""
        return sum(len(events) for events in self._backlog.values())

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener`` after every state transition this instance makes."""
        self._listeners.append(listener)

    def admit(self, provider: str) -> Admission:
        return self.admit_all([provider])[provider]

    def admit_all(self, providers: Iterable[str]) -> dict[str, Admission]:
        """One decision per provider, reading the store at most once (and only if stale)."""
        names = list(providers)
        changes: list[_Change] = []
        with self._lock:
            now = self._clock()
            self._refresh(names, now, force=False)
            result = {p: self._admit(p, now, changes) for p in names}
        self._notify(changes)
        return result

    def record(
        self,
        provider: str,
        outcome: Outcome,
        *,
        retry_after_s: float | None = None,
        probe: bool = False,
    ) -> BreakerView:
        """Feed one attempt's outcome to ``provider``'s breaker; the breaker afterwards."""
        event = outcome_event(outcome, retry_after_s, probe=probe)
        changes: list[_Change] = []
        with self._lock:
            now = self._clock()
            # Probe results are rare and must meet the lease they answer, so they read afresh.
            self._refresh([provider], now, force=probe)
            view = self._record(provider, event, now, changes)
        self._notify(changes)
        return view

    def states(self, providers: Iterable[str]) -> list[BreakerView]:
        """Every listed provider's breaker, freshly read (for operators)."""
        names = list(providers)
        with self._lock:
            now = self._clock()
            self._refresh(names, now, force=True)
            return [self._view(p, self._current(p), now) for p in names]

    def force_open(self, provider: str) -> BreakerView:
        """Open ``provider`` until :meth:`reset`. Raises StoreUnavailableError if it is down."""
        return self._operate(provider, ForceOpen())

    def reset(self, provider: str) -> BreakerView:
        """Close ``provider`` and clear its counters. Raises StoreUnavailableError if it is down."""
        return self._operate(provider, Reset())

    def flush(self) -> None:
        """Write tallied successes and backlogged events now (e.g. before shutting down)."""
        changes: list[_Change] = []
        with self._lock:
            now = self._clock()
            if self._local is None:
                for provider in sorted(set(self._tally) | set(self._backlog)):
                    try:
                        self._commit(provider, [], now, changes)
                    except StoreUnavailableError:
                        self._degrade(now)
                        break
        self._notify(changes)

    # --- reading ----------------------------------------------------------------------------

    def _refresh(
        self, providers: list[str], now: float, *, force: bool, retry_now: bool = False
    ) -> None:
        if self._local is not None:
            if retry_now or now >= self._retry_store_at:
                self._recover(now)
            return
        stale = [p for p in providers if force or not self._fresh(p, now)]
        if not stale:
            return
        try:
            if len(stale) == 1:
                self._cache[stale[0]] = _Cached(self._store.read(stale[0]), now)
            else:
                self._read_all(now, stale)
        except StoreUnavailableError:
            self._degrade(now)

    def _fresh(self, provider: str, now: float) -> bool:
        cached = self._cache.get(provider)
        # A clock that went backwards makes the age negative: treat that as stale too.
        return cached is not None and 0.0 <= now - cached.read_at < self._ttl

    def _read_all(self, now: float, providers: Iterable[str] = ()) -> None:
        found = self._store.read_all()
        # Providers with no entity are cached too: absent means a fresh closed breaker.
        for provider in set(found) | set(self._cache) | set(providers):
            self._cache[provider] = _Cached(found.get(provider), now)

    def _current(self, provider: str) -> Breaker:
        if self._local is not None:
            return self._local.setdefault(provider, self._stored(provider))
        return self._stored(provider)

    def _stored(self, provider: str) -> Breaker:
        cached = self._cache.get(provider)
        return cached.current.state if cached and cached.current else Breaker()

    def _view(self, provider: str, state: Breaker, now: float) -> BreakerView:
        settings = self._settings_for(provider)
        return view_of(provider, state, now, settings, degraded=self._local is not None)

    # --- deciding and recording -------------------------------------------------------------

    def _admit(self, provider: str, now: float, changes: list[_Change]) -> Admission:
        if self._local is None:
            state = self._current(provider)
            decision = decide(state, now)
            if decision is not Decision.PROBE:
                return Admission(provider, decision, self._view(provider, state, now))
            claim = Admit(self._lease_s_for(provider))
            try:
                committed = self._commit(provider, [claim], now, changes, flush=False)
            except StoreUnavailableError:
                self._degrade(now)
            else:
                if committed is None:  # lost every race: others are busy with this breaker
                    return Admission(provider, Decision.SKIP, self._view(provider, state, now))
                old, new = committed
                won = new.probes != old.probes
                decision = Decision.PROBE if won else decide(new, now)
                return Admission(provider, decision, self._view(provider, new, now))
        return self._admit_locally(provider, now, changes)

    def _admit_locally(self, provider: str, now: float, changes: list[_Change]) -> Admission:
        state = self._current(provider)
        decision = decide(state, now)
        if decision is Decision.PROBE:
            claim = Admit(self._lease_s_for(provider))
            state = self._apply_locally(provider, claim, now, changes)
        return Admission(provider, decision, self._view(provider, state, now))

    def _record(
        self, provider: str, event: Event, now: float, changes: list[_Change]
    ) -> BreakerView:
        if self._local is not None:
            return self._view(provider, self._apply_locally(provider, event, now, changes), now)
        state = self._current(provider)
        settings = self._settings_for(provider)
        if _is_quiet_success(state, event):
            tally = self._tally.setdefault(provider, {})
            index = bucket_index(now, settings)
            tally[index] = tally.get(index, 0) + 1
            return self._view(provider, state, now)
        if step(state, event, now, settings) == state:
            return self._view(provider, state, now)  # e.g. a late failure while already open
        try:
            committed = self._commit(provider, [event], now, changes)
        except StoreUnavailableError:
            self._degrade(now)
            return self._view(provider, self._apply_locally(provider, event, now, changes), now)
        if committed is None:
            backlog = self._backlog.setdefault(provider, [])
            backlog.append(event)
            del backlog[:-_MAX_BACKLOG]
            logger.warning("breaker write for %s kept losing races; kept for the next", provider)
            return self._view(provider, self._current(provider), now)
        return self._view(provider, committed[1], now)

    def _operate(self, provider: str, event: ForceOpen | Reset) -> BreakerView:
        changes: list[_Change] = []
        with self._lock:
            now = self._clock()
            # Operators get an error rather than a change that only this instance would see.
            self._refresh([provider], now, force=False, retry_now=True)
            if self._local is not None:
                raise StoreUnavailableError("breaker store degraded; operator change not saved")
            try:
                committed = self._commit(provider, [event], now, changes, flush=False)
            except StoreUnavailableError:
                self._degrade(now)
                raise
            if committed is None:
                raise StoreUnavailableError(
                    "breaker store too contended; operator change not saved"
                )
            view = self._view(provider, committed[1], now)
        self._notify(changes)
        return view

    # --- writing ----------------------------------------------------------------------------

    def _commit(
        self,
        provider: str,
        events: list[Event],
        now: float,
        changes: list[_Change],
        *,
        flush: bool = True,
    ) -> tuple[Breaker, Breaker] | None:
        """Write ``events`` with ETag retries: (before, after), or None if every attempt lost.

        With ``flush`` the tallied successes and the backlog go first and are cleared once
        written. Raises StoreUnavailableError.
        """
        settings = self._settings_for(provider)
        pending: list[Event] = []
        if flush:
            tally = self._tally.get(provider, {})
            if tally:
                pending.append(Tally(tuple(Bucket(i, c) for i, c in sorted(tally.items()))))
            pending.extend(self._backlog.get(provider, []))
        cached = self._cache.get(provider)
        current = cached.current if cached else None
        for attempt in range(self._max_attempts):
            old = current.state if current else Breaker()
            new = old
            for event in [*pending, *events]:
                new = step(new, event, now, settings)
            if new != old:
                try:
                    etag = self._store.write(provider, new, current.etag if current else None)
                except WriteConflictError:
                    if attempt:
                        # Jittered, growing back-off spreads out writers that keep colliding.
                        pause = min(self._backoff_s * 2**attempt, _MAX_BACKOFF_S)
                        self._sleep(pause * self._jitter())
                    current = self._store.read(provider)
                    self._cache[provider] = _Cached(current, now)
                    continue
                current = Versioned(new, etag)
            self._cache[provider] = _Cached(current, now)
            if flush:
                self._tally.pop(provider, None)
                self._backlog.pop(provider, None)
            if new.state is not old.state:
                changes.append((provider, old.state, new.state, self._view(provider, new, now)))
            return old, new
        return None

    def _apply_locally(
        self, provider: str, event: Event, now: float, changes: list[_Change]
    ) -> Breaker:
        old = self._current(provider)
        new = step(old, event, now, self._settings_for(provider))
        if self._local is not None:
            self._local[provider] = new
        if new.state is not old.state:
            changes.append((provider, old.state, new.state, self._view(provider, new, now)))
        return new

    # --- outage -----------------------------------------------------------------------------

    def _degrade(self, now: float) -> None:
        if self._local is None:
            logger.warning("breaker store degraded: using this instance's own breaker state")
            self._local = {p: self._stored(p) for p in self._cache}
        self._retry_store_at = now + self._store_retry_s

    def _recover(self, now: float) -> None:
        local = self._local or {}
        try:
            self._read_all(now, local)
            for provider, state in sorted(local.items()):
                until = _catch_up_until(state, self._stored(provider))
                if until is not None:
                    # Not announced to listeners: this instance already announced the local trip.
                    self._commit(provider, [Trip(until)], now, [], flush=False)
        except StoreUnavailableError:
            self._retry_store_at = now + self._store_retry_s
            return
        self._local = None
        logger.info("breaker store recovered")

    # --- listeners --------------------------------------------------------------------------

    def _notify(self, changes: list[_Change]) -> None:
        for provider, old, new, view in changes:
            if self._events is not None:
                self._events.emit(BreakerChanged(provider, old.value, new.value, view.reason))
            for listener in list(self._listeners):
                try:
                    listener(provider, old, new, view)
                except Exception:
                    logger.exception("breaker state listener failed")


def _is_quiet_success(state: Breaker, event: Event) -> bool:
    """A success that only adds a call to the window: tallied instead of written."""
    return (
        isinstance(event, Success)
        and state.state is BreakerState.CLOSED
        and state.consecutive_failures == 0
    )


def _catch_up_until(local: Breaker, stored: Breaker) -> float | None:
    """The end of a local trip's break, if the store has not tripped; Trip ignores ended ones."""
    if (
        local.state is BreakerState.OPEN
        and not local.forced
        and local.open_until is not None
        and stored.state is BreakerState.CLOSED
    ):
        return local.open_until
    return None
