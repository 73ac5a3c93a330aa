"""Provider health checks, and the service's health as ``GET /api/health`` reports it.

A run checks every enabled, configured LLM tier at once (one ``asyncio.gather``), each with a
one-token request bounded by its own timeout, so one slow provider never delays the others.
Each result feeds that provider's circuit breaker, which is what finds a dead provider when
there is no chat traffic. What a check does depends on what the breaker admits:

* **closed** (``CALL``): the outcome is recorded like a chat attempt's, so failed checks trip
  the breaker after the configured number of failures.
* **break over** (``PROBE``): the check holds the probe lease, so its outcome is recorded with
  ``probe=True``. A pass closes the breaker before any user meets it; a failure re-opens it
  with a doubled break.
* **open, not yet due, or another caller holds the lease** (``SKIP``): the provider is still
  called, so the report shows whether it has recovered, but nothing is recorded: only the probe
  holder may close a breaker, and the rule ignores non-probe results while it is open anyway.
* **forced open** by an operator: not called at all. An operator who opened it asked for no
  traffic.

Runs never overlap: the Functions host runs a timer trigger as a singleton across instances
(a blob lease) and starts the next occurrence only after the previous one ends; the dev host
does the same with a lock per timer function.

``healthy`` means the first tier the policy permits (not disabled, not blocked by
``DATA_RESIDENCY``) is usable (enabled, configured, breaker closed); otherwise the service is
``degraded``, whether another LLM tier is usable or only the emergency tier is left. Both
are HTTP 200: the emergency tier always answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from shared.breakers import Admission, BreakerState, BreakerView, Decision
from shared.events import Events, HealthChecked
from shared.models import Message, Outcome, ProviderRequest, ProviderResult
from shared.platform import HttpReply, Settings, TierConfig, emergency_tier, iso
from shared.providers import Provider

log = logging.getLogger(__name__)

Clock = Callable[[], float]

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_HISTORY = 20
DEFAULT_TABLE = "health"
EMERGENCY_TIER = "emergency"
# A check is a liveness test, not a question: one output token is all it asks for.
_CHECK_PROMPT = "Reply with the single word OK."
# The adapters bound their own calls; this outer bound only catches one that does not.
_GRACE_S = 0.5


class CheckMode(StrEnum):
    """How a check's outcome was used."""

    COUNTED = "counted"  # closed breaker: recorded like any attempt
    PROBE = "probe"  # held the probe lease: recorded with probe=True
    OBSERVED = "observed"  # called, not recorded (open and not due, or lease held elsewhere)
    NOT_CALLED = "not_called"  # forced open by an operator


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One provider's check. ``at`` is epoch seconds; ``detail`` never holds content."""

    provider: str
    outcome: Outcome
    at: float
    ms: float
    mode: CheckMode
    breaker: BreakerState  # the breaker after this check was recorded
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "outcome": self.outcome.value,
            "at": self.at,
            "ms": self.ms,
            "mode": self.mode.value,
            "breaker": self.breaker.value,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            provider=str(data["provider"]),
            outcome=Outcome(data["outcome"]),
            at=float(data["at"]),
            ms=float(data["ms"]),
            mode=CheckMode(data["mode"]),
            breaker=BreakerState(data["breaker"]),
            detail=str(data.get("detail") or ""),
        )


@dataclass(frozen=True, slots=True)
class HealthRun:
    """One run: every result, and how long the whole run took."""

    results: tuple[CheckResult, ...]
    started_at: float
    ms: float


class HealthStore(Protocol):
    """The last N results per provider (see :mod:`shared.operations.results_table`)."""

    def record(self, results: Sequence[CheckResult]) -> None:
        """Keep ``results``, dropping each provider's results beyond the newest N."""
        ...

    def latest(self, providers: Iterable[str]) -> dict[str, CheckResult]:
        """The newest result of each listed provider that has one."""
        ...

    def history(self, provider: str) -> list[CheckResult]:
        """``provider``'s kept results, newest first."""
        ...

    @property
    def degraded(self) -> bool:
        """True while the shared store cannot be reached (results are kept in memory)."""
        ...


class Breakers(Protocol):
    """The slice of :class:`~shared.breakers.service.BreakerService` that checks and reports use."""

    @property
    def store_degraded(self) -> bool: ...

    def admit_all(self, providers: Iterable[str]) -> dict[str, Admission]: ...

    def record(
        self,
        provider: str,
        outcome: Outcome,
        *,
        retry_after_s: float | None = None,
        probe: bool = False,
    ) -> BreakerView: ...

    def states(self, providers: Iterable[str]) -> list[BreakerView]: ...


@dataclass(frozen=True, slots=True)
class HealthSettings:
    """``HEALTH_CHECK_TIMEOUT_S`` (per check, capped by the tier's own timeout),
    ``HEALTH_HISTORY_SIZE`` (results kept per provider) and ``HEALTH_TABLE_NAME``."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    history: int = DEFAULT_HISTORY
    table_name: str = DEFAULT_TABLE

    @classmethod
    def from_settings(cls, settings: Settings) -> HealthSettings:
        return cls(
            timeout_s=_positive(settings, "HEALTH_CHECK_TIMEOUT_S", DEFAULT_TIMEOUT_S),
            history=int(_positive(settings, "HEALTH_HISTORY_SIZE", DEFAULT_HISTORY, whole=True)),
            table_name=settings.get("HEALTH_TABLE_NAME") or DEFAULT_TABLE,
        )


def _positive(settings: Settings, name: str, default: float, *, whole: bool = False) -> float:
    raw = settings.get(name)
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = 0
    if value <= 0:
        kind = "a positive integer" if whole else "a positive number"
        raise ValueError(f"app setting {name} must be {kind}, got {raw!r}")
    return value


def check_request(timeout_s: float) -> ProviderRequest:
    """The cheapest real request: one user turn, one output token, no safety prompt."""
    return ProviderRequest(
        system_prompt="",
        messages=(Message(role="user", content=_CHECK_PROMPT),),
        timeout_s=timeout_s,
        max_tokens=1,
    )


async def call_bounded(provider: Provider, timeout_s: float, perf: Clock) -> ProviderResult:
    """One check request; never raises, never outlives ``timeout_s`` by more than a grace."""
    started = perf()
    try:
        async with asyncio.timeout(timeout_s + _GRACE_S):
            result = await provider.complete(check_request(timeout_s))
    except TimeoutError:
        result = ProviderResult(Outcome.TIMEOUT, detail="health check deadline")
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not sink the other checks
        result = ProviderResult(Outcome.ERROR, detail=f"unexpected: {type(exc).__name__}")
    return ProviderResult(
        outcome=result.outcome,
        retry_after_s=result.retry_after_s,
        status=result.status,
        detail=result.detail,
        ms=(perf() - started) * 1000.0,
    )


def _mode(admission: Admission) -> CheckMode:
    if admission.view.forced:
        return CheckMode.NOT_CALLED
    if admission.decision is Decision.PROBE:
        return CheckMode.PROBE
    if admission.decision is Decision.CALL:
        return CheckMode.COUNTED
    return CheckMode.OBSERVED


class HealthChecker:
    """Runs one round of checks over the enabled, configured tiers."""

    def __init__(
        self,
        tiers: Sequence[TierConfig],
        providers: Mapping[str, Provider],
        breakers: Breakers,
        store: HealthStore,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Clock = time.time,
        perf: Clock = time.perf_counter,
        listeners: Sequence[Callable[[HealthRun], None]] = (),
        events: Events | None = None,
    ) -> None:
        """``listeners`` hear about every finished run; ``events`` gets one
        :class:`~shared.events.HealthChecked` per result."""
        self._listeners = tuple(listeners)
        self._events = events
        self._tiers = tuple(tiers)
        self._providers = providers
        self._breakers = breakers
        self._store = store
        self._timeout_s = timeout_s
        self._clock = clock
        self._perf = perf

    def checked_tiers(self) -> list[TierConfig]:
        """The tiers a run checks: enabled, with an adapter that has its credentials."""
        return [
            tier
            for tier in self._tiers
            if tier.enabled
            and (provider := self._providers.get(tier.name)) is not None
            and provider.configured
        ]

    async def run(self) -> HealthRun:
        """Check every tier at once, feed the breakers, keep the results."""
        started_at, started = self._clock(), self._perf()
        tiers = self.checked_tiers()
        if not tiers:
            return HealthRun((), started_at, 0.0)
        # One admission per provider, in one store read: claims any probe lease that is due.
        admissions = await asyncio.to_thread(self._breakers.admit_all, [t.name for t in tiers])
        results = await asyncio.gather(*(self._check(t, admissions[t.name]) for t in tiers))
        try:
            await asyncio.to_thread(self._store.record, results)
        except Exception as exc:  # noqa: BLE001 - results are a report; the breakers have them
            log.warning("health results not kept: %s", type(exc).__name__)
        run = HealthRun(tuple(results), started_at, (self._perf() - started) * 1000.0)
        log.info(
            "health checks in %.0f ms: %s",
            run.ms,
            ", ".join(f"{r.provider}={r.outcome.value}/{r.mode.value}" for r in results),
        )
        if self._events is not None:
            for result in results:
                self._events.emit(HealthChecked(result.provider, result.outcome.value))
        for listener in self._listeners:
            try:
                listener(run)
            except Exception:
                log.exception("health run listener failed")
        return run

    async def _check(self, tier: TierConfig, admission: Admission) -> CheckResult:
        at = self._clock()
        mode = _mode(admission)
        if mode is CheckMode.NOT_CALLED:
            return CheckResult(
                tier.name, Outcome.BREAKER_OPEN, at, 0.0, mode, admission.view.state, "forced open"
            )
        # Capped by the tier's first-token time: a one-token answer is all first token, and a
        # pass must mean the tier starts answering in the time chat gives it.
        timeout_s = min(self._timeout_s, tier.first_token_s)
        result = await call_bounded(self._providers[tier.name], timeout_s, self._perf)
        state = admission.view.state
        if mode is not CheckMode.OBSERVED:
            state = await self._record(tier.name, result, probe=mode is CheckMode.PROBE, was=state)
        return CheckResult(tier.name, result.outcome, at, result.ms, mode, state, result.detail)

    async def _record(
        self, provider: str, result: ProviderResult, *, probe: bool, was: BreakerState
    ) -> BreakerState:
        try:
            view = await asyncio.to_thread(
                self._breakers.record,
                provider,
                result.outcome,
                retry_after_s=result.retry_after_s,
                probe=probe,
            )
        except Exception as exc:  # noqa: BLE001 - the service degrades itself; this is a backstop
            log.warning("health check of %s not recorded: %s", provider, type(exc).__name__)
            return was
        return view.state


# --- the report ---------------------------------------------------------------------------


class Status(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    # misconfigured outranks the tiers' state: the pattern file is broken (crisis detection
    # runs on the built-in fallback), or an alert audience has no channel (alerts reach nobody).
    # Both are faults no failover can mend.
    MISCONFIGURED = "misconfigured"


@dataclass(frozen=True, slots=True)
class TierHealth:
    """One LLM tier as ``/api/health`` shows it."""

    tier: int
    config: TierConfig
    configured: bool
    simulated: bool
    breaker: BreakerView
    last_check: CheckResult | None
    residency_blocked: bool = False

    @property
    def usable(self) -> bool:
        """Whether a chat request would call this tier now."""
        return (
            self.config.enabled
            and self.configured
            and not self.residency_blocked
            and self.breaker.state is BreakerState.CLOSED
        )

    def to_json(self) -> dict[str, Any]:
        last = self.last_check
        return {
            "tier": self.tier,
            "name": self.config.name,
            "kind": self.config.kind,
            "region": self.config.region,
            "enabled": self.config.enabled,
            "configured": self.configured,
            "simulated": self.simulated,
            "usable": self.usable,
            "residency_blocked": self.residency_blocked,
            "breaker": {
                "state": self.breaker.state.value,
                "reason": self.breaker.reason,
                "forced": self.breaker.forced,
                "open_until": iso(self.breaker.open_until),
                "next_probe_at": iso(self.breaker.next_probe_at),
            },
            "last_check": None
            if last is None
            else {
                "at": iso(last.at),
                "outcome": last.outcome.value,
                "ok": last.ok,
                "ms": round(last.ms, 1),
                "mode": last.mode.value,
                "detail": last.detail,
            },
        }


def overall_status(tiers: Sequence[TierHealth]) -> Status:
    """``healthy`` exactly when the first tier the policy permits is usable. A tier that is
    disabled in config or blocked by ``DATA_RESIDENCY`` is not expected to answer, so it never
    makes the service degraded by itself."""
    permitted = [t for t in tiers if t.config.enabled and not t.residency_blocked]
    return Status.HEALTHY if permitted and permitted[0].usable else Status.DEGRADED


def serving_tier(tiers: Sequence[TierHealth]) -> tuple[int, str]:
    """The tier an ordinary chat request would be answered from now."""
    for tier in tiers:
        if tier.usable:
            return tier.tier, tier.config.name
    return emergency_tier(tiers), EMERGENCY_TIER


@dataclass(frozen=True, slots=True)
class DetectorState:
    """One second-opinion crisis detector as ``/api/health`` sees it: on or off (and why), and
    its breaker row's state (``closed``, ``open``, ``half_open``; None when off or unread)."""

    name: str
    enabled: bool
    reason: str | None = None
    breaker: str | None = None

    @property
    def problem(self) -> str | None:
        """Why this detector is not fully on, or None."""
        if not self.enabled:
            return f"{self.name}: off ({self.reason or 'not configured'})"
        if self.breaker in ("open", "half_open"):
            return f"{self.name}: breaker {self.breaker.replace('_', '-')}"
        return None

    def to_json(self) -> dict[str, Any]:
        if not self.enabled:
            return {"state": "off", "reason": self.reason}
        state = "on" if self.problem is None else "breaker_open"
        return {"state": state, "breaker": self.breaker}


def crisis_detection_body(
    patterns: str, detectors: Sequence[DetectorState] | None
) -> dict[str, Any]:
    """The ``crisis_detection`` object. ``patterns``: ``ok`` or ``misconfigured`` (the pattern
    file failed to load, the built-in fallback is on). With ``detectors`` (the classifier and
    the triage), the status is ``degraded`` when any of them is off, by configuration or by
    fault, or has an open breaker: one detector fewer is weaker detection, whatever the reason.
    ``misconfigured`` outranks ``degraded``."""
    body: dict[str, Any] = {
        "status": patterns,
        "detector": "patterns" if patterns == "ok" else "built_in_explicit_only",
    }
    if detectors is None:
        return body
    reasons = [] if patterns == "ok" else ["patterns: the pattern file failed to load"]
    reasons += [d.problem for d in detectors if d.problem is not None]
    if patterns == "ok" and reasons:
        body["status"] = "degraded"
    body["detectors"] = {"patterns": patterns, **{d.name: d.to_json() for d in detectors}}
    body["reasons"] = reasons
    return body


def report_body(
    tiers: Sequence[TierHealth],
    *,
    breaker_store_ok: bool,
    health_store_ok: bool,
    now: float,
    crisis_detection: str = "ok",
    safety_files: Mapping[str, str] | None = None,
    unreached_audiences: Sequence[str] = (),
    clinical_content: Mapping[str, Any] | None = None,
    unresolved_settings: Sequence[str] = (),
    detectors: Sequence[DetectorState] | None = None,
) -> dict[str, Any]:
    """The ``/api/health`` document. ``safety_files``: the SHA-256 of each safety-critical
    config file this instance loaded, to compare with those the safety case was assessed on.
    ``misconfigured`` outranks the tiers' status: a service whose crisis detection is on its
    fallback, or whose alerts reach nobody, is not healthy, however well it answers.

    ``clinical_content`` (the reply texts' approval, ``unapproved`` while any text in use is a
    draft) is reported beside ``status`` and does not change it: ``status`` says whether the
    service runs as built and deployed, which unapproved wording does not alter, and it drives
    operations (Front Door, alerts, the status page) that must keep telling a real fault apart.
    Approval is a release decision, held in the safety case as an open action."""
    tier, name = serving_tier(tiers)
    status = overall_status(tiers)
    if crisis_detection != "ok" or unreached_audiences or unresolved_settings:
        status = Status.MISCONFIGURED
    return {
        "status": status.value,
        "crisis_detection": crisis_detection_body(crisis_detection, detectors),
        "safety_files": dict(sorted((safety_files or {}).items())),
        "clinical_content": dict(clinical_content or {"status": "unknown"}),
        "at": iso(now),
        "serving": {"tier": tier, "name": name},
        "tiers": [t.to_json() for t in tiers],
        "emergency": {"tier": emergency_tier(tiers), "usable": True},
        "storage": {
            "breakers": "ok" if breaker_store_ok else "unreachable",
            "health": "ok" if health_store_ok else "unreachable",
        },
        "alerts": {"unreached_audiences": list(unreached_audiences)},
        # Names only: an unresolved Key Vault reference is treated as unset (fails closed).
        "settings": {"unresolved_key_vault_references": list(unresolved_settings)},
    }


async def health_report(
    tiers: Sequence[TierConfig],
    providers: Mapping[str, Provider],
    settings: Settings,
    breakers: Breakers,
    store: HealthStore,
    *,
    clock: Clock = time.time,
    residency_blocked: Callable[[str], object] = lambda _name: None,
    crisis_detection: str = "ok",
    safety_files: Mapping[str, str] | None = None,
    unreached_audiences: Sequence[str] = (),
    content_safety: Mapping[str, Any] | None = None,
    clinical_content: Mapping[str, Any] | None = None,
    durable: str | None = None,
    triage: Mapping[str, Any] | None = None,
    detectors: Sequence[DetectorState] | None = None,
) -> HttpReply:
    """Read the breakers (afresh, which also tests the breaker store) and the last checks.
    ``crisis_detection`` is ``ok`` or ``misconfigured`` (the pattern file failed to load).
    ``durable``: the Durable backend as readiness last saw it, ``ok`` or ``unreachable``."""
    names = [t.name for t in tiers]
    views = {v.provider: v for v in await asyncio.to_thread(breakers.states, names)}
    try:
        latest = await asyncio.to_thread(store.latest, names)
    except Exception as exc:  # noqa: BLE001 - the report still has the breakers
        log.warning("health results unavailable: %s", type(exc).__name__)
        latest = {}
    rows = []
    for number, tier in enumerate(tiers, start=1):
        provider = providers.get(tier.name)
        configured = provider is not None and provider.configured
        rows.append(
            TierHealth(
                tier=number,
                config=tier,
                configured=configured,
                simulated=configured and settings.simulated_providers,
                breaker=views[tier.name],
                last_check=latest.get(tier.name),
                residency_blocked=residency_blocked(tier.name) is not None,
            )
        )
    body = report_body(
        rows,
        breaker_store_ok=not breakers.store_degraded,
        health_store_ok=not store.degraded,
        now=clock(),
        crisis_detection=crisis_detection,
        safety_files=safety_files,
        unreached_audiences=unreached_audiences,
        clinical_content=clinical_content,
        unresolved_settings=settings.unresolved,
        detectors=detectors,
    )
    if content_safety is not None:  # the classifier layer: on, or off and why
        body["content_safety"] = dict(content_safety)
    if triage is not None:  # the language-model triage: on, or off and why
        body["triage"] = dict(triage)
    if durable is not None:
        # Without the task hub, chat answers from the emergency tier and escalations go by
        # the fallback queue: the service works, degraded.
        body["storage"]["durable"] = durable
        if durable != "ok" and body["status"] == Status.HEALTHY.value:
            body["status"] = Status.DEGRADED.value
    return HttpReply(200, body, {"Cache-Control": "no-store"})
