"""SLA measures and the in-app alert rules: small classes over values and an injected clock.

Each answered chat request (a :class:`~shared.events.ChatRecord`) is judged
against the SLA numbers in ``safety-config.json`` (``sla``):

* ``crisis_reply_time``: a crisis reply within ``crisis_response_s``;
* ``failover_switch_time``: when the answer did not come from the first tier tried, the time
  spent on the tiers that failed before it, within ``failover_switch_s``;
* ``availability``: the request was answered by an LLM or by the crisis reply (the emergency
  fallback text is not an answer to the question);
* the per-provider error rate: failed calls over calls (skipped tiers are not calls).

The rules (named exactly as the Azure Monitor alert rules in ``infra/``) and their numbers come
from ``observability-config.json``:

* ``crisis-sla-violations``: ``violations`` violations of the watched measures within
  ``window_s`` raise an alert; no new alert within ``cooldown_s`` of the last; "resolved" once
  no violation has been seen for ``resolve_after_s``;
* ``error-rate``: the share of chat requests with a failing outcome over ``window_s`` is above
  ``threshold_percent`` (once ``minimum_requests`` were seen); resolved when it is not;
* ``provider-failure``: a breaker opens from closed (a new outage, not a failed probe of the
  same outage); resolved when it closes;
* ``all-tiers-down`` (critical): every usable LLM tier's breaker is open, or a request was
  answered by the emergency fallback; resolved when an LLM answers again or a breaker closes.

Everything here is per instance: the Azure Monitor rules see every instance.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypeVar

from shared.escalation import Alert
from shared.events import ChatRecord
from shared.failover import EMERGENCY
from shared.models import Attempt, Outcome
from shared.platform import ConfigError, ConfigReader, SlaConfig, iso

Clock = Callable[[], float]
_Timed = TypeVar("_Timed", bound=tuple[Any, ...])
Severity = Literal["critical", "error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("critical", "error", "warning")

# A tier the request never called: it cannot count for or against the provider.
_SKIPPED = frozenset(
    {
        Outcome.NOT_CONFIGURED,
        Outcome.DISABLED,
        Outcome.BREAKER_OPEN,
        Outcome.RESIDENCY_BLOCKED,
        Outcome.BUDGET_EXHAUSTED,
    }
)
# Bounds memory under any request rate; far above what one instance sees in a window.
_MAX_SAMPLES = 200_000
RUNBOOK = "docs/runbook.md"


class Measure(StrEnum):
    CRISIS_REPLY_TIME = "crisis_reply_time"
    FAILOVER_SWITCH_TIME = "failover_switch_time"
    AVAILABILITY = "availability"


class ChatOutcome(StrEnum):
    """The ``outcome`` attribute of ``askeve.chat.requests``."""

    OK = "ok"  # answered by an LLM tier
    CRISIS = "crisis"  # the pre-approved crisis reply (the intended path)
    EMERGENCY = "emergency"  # every LLM tier was tried or skipped: the emergency text
    ERROR = "error"  # our own machinery failed (no tier result at all): the emergency text


def chat_outcome(record: ChatRecord) -> ChatOutcome:
    if record.status != 200:
        return ChatOutcome.ERROR
    if record.crisis:
        return ChatOutcome.CRISIS
    if record.provider != EMERGENCY:
        return ChatOutcome.OK
    # The orchestration reports every tier it walked; none at all means it never ran to the end.
    return ChatOutcome.EMERGENCY if record.attempts else ChatOutcome.ERROR


def was_called(attempt: Attempt) -> bool:
    """Whether the provider was actually called (a skipped tier was not)."""
    return attempt.outcome not in _SKIPPED


def provider_failed(attempt: Attempt) -> bool:
    return attempt.outcome.counts_against_provider or attempt.outcome is Outcome.ERROR


def failed_before_answer(record: ChatRecord) -> tuple[Attempt, ...]:
    """The attempts that did not produce the answer."""
    if record.provider == EMERGENCY:
        return record.attempts
    return record.attempts[:-1]


def switch_time_ms(record: ChatRecord) -> float | None:
    """Time spent on failed tiers before the answering one; None when there was no failover."""
    if record.crisis or not record.attempts:
        return None
    failed = failed_before_answer(record)
    return sum(a.ms for a in failed) if failed else None


def failover_hops(record: ChatRecord) -> tuple[tuple[str, str], ...]:
    """Each move from one tier to the next: ``(from_provider, to_provider)``."""
    if record.crisis or not record.attempts:
        return ()
    route = [a.provider for a in record.attempts]
    if record.provider == EMERGENCY:
        route.append(EMERGENCY)
    return tuple(itertools.pairwise(route))


@dataclass(frozen=True, slots=True)
class Sample:
    """One request judged against one measure."""

    measure: Measure
    ok: bool


def judge(record: ChatRecord, targets: SlaConfig) -> tuple[Sample, ...]:
    """Every measure this request counts towards, and whether it met it."""
    outcome = chat_outcome(record)
    samples = [
        Sample(Measure.AVAILABILITY, outcome in (ChatOutcome.OK, ChatOutcome.CRISIS)),
    ]
    if record.crisis:
        limit_ms = targets.crisis_response_s * 1000.0
        samples.append(Sample(Measure.CRISIS_REPLY_TIME, record.latency_ms <= limit_ms))
    switch = switch_time_ms(record)
    if switch is not None:
        limit_ms = targets.failover_switch_s * 1000.0
        samples.append(Sample(Measure.FAILOVER_SWITCH_TIME, switch <= limit_ms))
    return tuple(samples)


def targets_of(sla: SlaConfig) -> dict[Measure, float]:
    """The compliance target of each measure (failover switch time has none: 1.0)."""
    return {
        Measure.CRISIS_REPLY_TIME: sla.crisis_response_target,
        Measure.FAILOVER_SWITCH_TIME: 1.0,
        Measure.AVAILABILITY: sla.availability_target,
    }


@dataclass(frozen=True, slots=True)
class Compliance:
    measure: str
    total: int
    good: int
    target: float

    @property
    def ratio(self) -> float | None:
        return None if self.total == 0 else self.good / self.total

    @property
    def violations(self) -> int:
        return self.total - self.good

    @property
    def met(self) -> bool:
        ratio = self.ratio
        return ratio is None or ratio >= self.target


@dataclass(frozen=True, slots=True)
class ProviderErrorRate:
    provider: str
    calls: int
    failures: int

    @property
    def rate(self) -> float | None:
        return None if self.calls == 0 else self.failures / self.calls


class RollingMeasures:
    """The measures over a rolling window (not thread-safe: :class:`SlaMonitor` locks)."""

    def __init__(
        self,
        targets: SlaConfig,
        *,
        window_s: float = 3600.0,
        provider_window_s: float = 300.0,
        clock: Clock = time.time,
    ) -> None:
        self._targets = targets
        self._window_s = window_s
        self._provider_window_s = provider_window_s
        self._clock = clock
        self._samples: deque[tuple[float, Sample]] = deque(maxlen=_MAX_SAMPLES)
        self._calls: deque[tuple[float, str, bool]] = deque(maxlen=_MAX_SAMPLES)

    def add(self, record: ChatRecord) -> tuple[Sample, ...]:
        now = self._clock()
        samples = judge(record, self._targets)
        self._samples.extend((now, s) for s in samples)
        self._calls.extend(
            (now, a.provider, provider_failed(a)) for a in record.attempts if was_called(a)
        )
        self._prune(now)
        return samples

    def compliance(self) -> dict[str, Compliance]:
        self._prune(self._clock())
        totals = dict.fromkeys(Measure, 0)
        good = dict.fromkeys(Measure, 0)
        for _, sample in self._samples:
            totals[sample.measure] += 1
            good[sample.measure] += sample.ok
        targets = targets_of(self._targets)
        return {m.value: Compliance(m.value, totals[m], good[m], targets[m]) for m in Measure}

    def provider_error_rates(self) -> dict[str, ProviderErrorRate]:
        self._prune(self._clock())
        calls: dict[str, int] = {}
        failures: dict[str, int] = {}
        for _, provider, failed in self._calls:
            calls[provider] = calls.get(provider, 0) + 1
            failures[provider] = failures.get(provider, 0) + failed
        return {p: ProviderErrorRate(p, calls[p], failures[p]) for p in calls}

    def _prune(self, now: float) -> None:
        _drop_before(self._samples, now - self._window_s)
        _drop_before(self._calls, now - self._provider_window_s)


def _drop_before(items: deque[_Timed], cutoff: float) -> None:
    # A clock that went backwards leaves newer items first; they age out later, which is harmless.
    while items and items[0][0] < cutoff:
        items.popleft()


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BurstRule:
    """N violations of the watched measures within a window."""

    name: str = "crisis-sla-violations"
    measures: tuple[str, ...] = (Measure.CRISIS_REPLY_TIME.value,)
    violations: int = 3
    window_s: float = 600.0
    cooldown_s: float = 300.0
    resolve_after_s: float = 300.0
    severity: Severity = "critical"


@dataclass(frozen=True, slots=True)
class RatioRule:
    """The share of chat requests with a failing outcome, over a window."""

    name: str = "error-rate"
    outcomes: tuple[str, ...] = (ChatOutcome.ERROR.value,)
    threshold_percent: float = 5.0
    minimum_requests: int = 20
    window_s: float = 300.0
    cooldown_s: float = 300.0
    severity: Severity = "error"


@dataclass(frozen=True, slots=True)
class StateRule:
    """Raised on a state change, resolved on the opposite one."""

    name: str
    cooldown_s: float = 300.0
    severity: Severity = "warning"


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    measure_window_s: float = 3600.0
    provider_window_s: float = 300.0
    crisis_sla: BurstRule = field(default_factory=BurstRule)
    error_rate: RatioRule = field(default_factory=RatioRule)
    provider_failure: StateRule = field(
        default_factory=lambda: StateRule("provider-failure", severity="warning")
    )
    all_tiers_down: StateRule = field(
        default_factory=lambda: StateRule("all-tiers-down", severity="critical")
    )


def _severity(reader: ConfigReader, default: Severity) -> Severity:
    value = reader.text("severity", default)
    for severity in SEVERITIES:
        if value == severity:
            return severity
    raise ConfigError(f"{reader.where('severity')}: must be one of {', '.join(SEVERITIES)}")


def _section(reader: ConfigReader, key: str) -> ConfigReader:
    return reader.obj(key) if reader.has(key) else ConfigReader({}, reader.where(key))


def parse_monitor_config(root: ConfigReader) -> MonitorConfig:
    """The ``sla`` and ``alerts`` sections of ``observability-config.json``."""
    sla = _section(root, "sla")
    alerts = _section(root, "alerts")
    burst = _section(alerts, "crisis-sla-violations")
    ratio = _section(alerts, "error-rate")
    provider = _section(alerts, "provider-failure")
    down = _section(alerts, "all-tiers-down")
    base = MonitorConfig()
    measures = burst.strings("measures") if burst.has("measures") else base.crisis_sla.measures
    known = {m.value for m in Measure}
    for measure in measures:
        if measure not in known:
            raise ConfigError(f"{burst.where('measures')}: unknown measure {measure!r}")
    outcomes = ratio.strings("outcomes") if ratio.has("outcomes") else base.error_rate.outcomes
    for outcome in outcomes:
        if outcome not in {o.value for o in ChatOutcome}:
            raise ConfigError(f"{ratio.where('outcomes')}: unknown outcome {outcome!r}")
    threshold = ratio.number("threshold_percent", base.error_rate.threshold_percent)
    if not 0 < threshold <= 100:
        raise ConfigError(f"{ratio.where('threshold_percent')}: must be in (0, 100]")
    return MonitorConfig(
        measure_window_s=sla.number("measure_window_s", base.measure_window_s, minimum=1.0),
        provider_window_s=sla.number("provider_window_s", base.provider_window_s, minimum=1.0),
        crisis_sla=BurstRule(
            measures=measures,
            violations=burst.integer("violations", base.crisis_sla.violations, minimum=1),
            window_s=burst.number("window_s", base.crisis_sla.window_s, minimum=1.0),
            cooldown_s=burst.number("cooldown_s", base.crisis_sla.cooldown_s),
            resolve_after_s=burst.number("resolve_after_s", base.crisis_sla.resolve_after_s),
            severity=_severity(burst, base.crisis_sla.severity),
        ),
        error_rate=RatioRule(
            outcomes=outcomes,
            threshold_percent=threshold,
            minimum_requests=ratio.integer(
                "minimum_requests", base.error_rate.minimum_requests, minimum=1
            ),
            window_s=ratio.number("window_s", base.error_rate.window_s, minimum=1.0),
            cooldown_s=ratio.number("cooldown_s", base.error_rate.cooldown_s),
            severity=_severity(ratio, base.error_rate.severity),
        ),
        provider_failure=StateRule(
            "provider-failure",
            cooldown_s=provider.number("cooldown_s", base.provider_failure.cooldown_s),
            severity=_severity(provider, base.provider_failure.severity),
        ),
        all_tiers_down=StateRule(
            "all-tiers-down",
            cooldown_s=down.number("cooldown_s", base.all_tiers_down.cooldown_s),
            severity=_severity(down, base.all_tiers_down.severity),
        ),
    )


AlertState = Literal["raised", "resolved"]
# Shared with the gateway's own per-request alert, so operations get one message, not two.
ALL_TIERS_DEDUP_KEY = "all-tiers-failed"


@dataclass(frozen=True, slots=True)
class OpenAlert:
    rule: str
    subject: str
    severity: Severity
    since: float
    title: str


@dataclass(slots=True)
class _Open:
    since: float
    severity: Severity
    title: str


def _bucket(at: float, cooldown_s: float) -> int:
    """Instances that raise the same rule within one cooldown share a de-duplication key."""
    return int(at // cooldown_s) if cooldown_s > 0 else int(at)


class AlertEngine:
    """Evaluates the rules (not thread-safe: :class:`SlaMonitor` locks)."""

    def __init__(self, config: MonitorConfig, tiers: Sequence[str], clock: Clock) -> None:
        self._config = config
        self._tiers = tuple(tiers)
        self._clock = clock
        self._violations: deque[float] = deque(maxlen=_MAX_SAMPLES)
        self._requests: deque[tuple[float, bool]] = deque()
        self._failed = 0  # failing requests in _requests, kept as they come and go
        self._breakers: dict[str, str] = dict.fromkeys(self._tiers, "closed")
        self._open: dict[tuple[str, str], _Open] = {}
        self._last_raised: dict[tuple[str, str], float] = {}

    # --- inputs -------------------------------------------------------------------------------

    def chat(
        self, record: ChatRecord, outcome: ChatOutcome, violated: Iterable[str]
    ) -> list[Alert]:
        now = self._clock()
        actions: list[Alert] = []
        burst = self._config.crisis_sla
        watched = [m for m in violated if m in burst.measures]
        self._violations.extend(now for _ in watched)
        ratio = self._config.error_rate
        self._add_request(now, outcome.value in ratio.outcomes)
        if watched:
            actions += self._check_burst(now)
        actions += self._check_ratio(now)
        if outcome is ChatOutcome.OK:
            actions += self._resolve(self._config.all_tiers_down, "", now, _TIERS_BACK)
        elif outcome in (ChatOutcome.EMERGENCY, ChatOutcome.ERROR):
            actions += self._raise_all_tiers_down(
                now, "a request was answered by the emergency text"
            )
        return actions

    def breaker(self, provider: str, old: str, new: str, reason: str = "") -> list[Alert]:
        now = self._clock()
        self._breakers[provider] = new
        rule = self._config.provider_failure
        actions: list[Alert] = []
        if new == "open" and old == "closed":
            facts = (("Provider", provider), ("Breaker reason", reason or "unknown"))
            title = f"[{rule.name}] The {provider} circuit breaker opened"
            actions += self._raise(rule, provider, now, title, facts)
        elif new == "closed":
            note = f"[{rule.name}] Resolved: the {provider} circuit breaker closed"
            actions += self._resolve(rule, provider, now, note)
            actions += self._resolve(self._config.all_tiers_down, "", now, _TIERS_BACK)
        usable = [t for t in self._tiers if t in self._breakers]
        if usable and all(self._breakers[t] == "open" for t in usable):
            actions += self._raise_all_tiers_down(now, "every LLM tier's circuit breaker is open")
        return actions

    def tick(self) -> list[Alert]:
        """Resolve what has gone quiet; call it now and then (each request does)."""
        now = self._clock()
        burst = self._config.crisis_sla
        actions: list[Alert] = []
        last = self._violations[-1] if self._violations else None
        if (burst.name, "") in self._open and (last is None or now - last >= burst.resolve_after_s):
            quiet = _minutes(burst.resolve_after_s)
            note = f"[{burst.name}] Resolved: no crisis SLA violation for {quiet}"
            actions += self._resolve(burst, "", now, note)
        actions += self._check_ratio(now)
        return actions

    def open_alerts(self) -> list[OpenAlert]:
        return [
            OpenAlert(rule, subject, state.severity, state.since, state.title)
            for (rule, subject), state in sorted(self._open.items())
        ]

    # --- rules --------------------------------------------------------------------------------

    def _check_burst(self, now: float) -> list[Alert]:
        rule = self._config.crisis_sla
        _drop_times_before(self._violations, now - rule.window_s)
        count = len(self._violations)
        if count < rule.violations:
            return []
        title = f"[{rule.name}] {count} crisis SLA violations within {_minutes(rule.window_s)}"
        facts = (
            ("Violations in window", str(count)),
            ("Window", _minutes(rule.window_s)),
            ("Measures", ", ".join(rule.measures)),
        )
        return self._raise(rule, "", now, title, facts)

    def _check_ratio(self, now: float) -> list[Alert]:
        rule = self._config.error_rate
        cutoff = now - rule.window_s
        while self._requests and self._requests[0][0] < cutoff:
            self._drop_oldest_request()
        total = len(self._requests)
        failed = self._failed
        percent = 100.0 * failed / total if total else 0.0
        if total >= rule.minimum_requests and percent > rule.threshold_percent:
            title = (
                f"[{rule.name}] {percent:.0f}% of chat requests failed in {_minutes(rule.window_s)}"
            )
            facts = (
                ("Failed requests", str(failed)),
                ("Requests", str(total)),
                ("Threshold", f"{rule.threshold_percent:g}%"),
                ("Outcomes counted", ", ".join(rule.outcomes)),
            )
            return self._raise(rule, "", now, title, facts)
        note = (
            f"[{rule.name}] Resolved: the chat error rate is back under {rule.threshold_percent:g}%"
        )
        return self._resolve(rule, "", now, note)

    def _add_request(self, now: float, bad: bool) -> None:
        if len(self._requests) >= _MAX_SAMPLES:
            self._drop_oldest_request()
        self._requests.append((now, bad))
        self._failed += bad

    def _drop_oldest_request(self) -> None:
        _, bad = self._requests.popleft()
        self._failed -= bad

    def _raise_all_tiers_down(self, now: float, why: str) -> list[Alert]:
        rule = self._config.all_tiers_down
        title = f"[{rule.name}] No LLM tier is usable: emergency replies are being sent"
        facts = (("Why", why), ("Tiers", ", ".join(self._tiers) or "none configured"))
        return self._raise(rule, "", now, title, facts, dedup_key=ALL_TIERS_DEDUP_KEY)

    # --- raising and resolving ----------------------------------------------------------------

    def _raise(
        self,
        rule: BurstRule | RatioRule | StateRule,
        subject: str,
        now: float,
        title: str,
        facts: tuple[tuple[str, str], ...],
        *,
        dedup_key: str | None = None,
    ) -> list[Alert]:
        key = (rule.name, subject)
        if key in self._open:
            return []
        last = self._last_raised.get(key)
        if last is not None and 0 <= now - last < rule.cooldown_s:
            return []
        self._open[key] = _Open(now, rule.severity, title)
        self._last_raised[key] = now
        dedup = dedup_key or f"{rule.name}:{subject}:{_bucket(now, rule.cooldown_s)}"
        return [
            self._action(
                rule, subject, state="raised", title=title, facts=facts, dedup_key=dedup, now=now
            )
        ]

    def _resolve(
        self, rule: BurstRule | RatioRule | StateRule, subject: str, now: float, title: str
    ) -> list[Alert]:
        opened = self._open.pop((rule.name, subject), None)
        if opened is None:
            return []
        facts = (
            ("Raised at (UTC)", iso(opened.since, seconds=True)),
            ("Open for", _minutes(now - opened.since)),
        )
        dedup = f"{rule.name}:{subject}:resolved:{_bucket(opened.since, rule.cooldown_s)}"
        return [
            self._action(
                rule, subject, state="resolved", title=title, facts=facts, dedup_key=dedup, now=now
            )
        ]

    def _action(
        self,
        rule: BurstRule | RatioRule | StateRule,
        subject: str,
        *,
        state: AlertState,
        title: str,
        facts: tuple[tuple[str, str], ...],
        dedup_key: str,
        now: float,
    ) -> Alert:
        common = (
            ("Rule", rule.name),
            ("State", state),
            ("Severity", rule.severity),
            ("Time (UTC)", iso(now, seconds=True)),
        )
        runbook = (("Runbook", f"{RUNBOOK}#{rule.name}"),)
        return Alert(
            rule=rule.name,
            state=state,
            severity=rule.severity,
            subject=subject,
            title=title,
            facts=common + facts + runbook,
            dedup_key=dedup_key,
        )


_TIERS_BACK = "[all-tiers-down] Resolved: an LLM tier is usable again"


def _drop_times_before(items: deque[float], cutoff: float) -> None:
    while items and items[0] < cutoff:
        items.popleft()


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    return f"{seconds / 60:.0f} minutes"


# --- the monitor ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one answered request changed: measures it violated, alerts to send."""

    violations: tuple[str, ...]
    actions: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class SlaSnapshot:
    compliance: dict[str, Compliance]
    provider_error_rates: dict[str, ProviderErrorRate]
    open_alerts: tuple[OpenAlert, ...]


class SlaMonitor:
    """The rolling measures and the rules of one instance. Thread-safe."""

    def __init__(
        self,
        targets: SlaConfig,
        config: MonitorConfig,
        tiers: Sequence[str],
        clock: Clock = time.time,
    ) -> None:
        self._measures = RollingMeasures(
            targets,
            window_s=config.measure_window_s,
            provider_window_s=config.provider_window_s,
            clock=clock,
        )
        self._engine = AlertEngine(config, tiers, clock)
        self._lock = threading.Lock()

    def chat_completed(self, record: ChatRecord) -> Evaluation:
        with self._lock:
            samples = self._measures.add(record)
            violated = tuple(s.measure.value for s in samples if not s.ok)
            actions = self._engine.tick()
            actions += self._engine.chat(record, chat_outcome(record), violated)
            return Evaluation(violated, tuple(actions))

    def breaker_changed(self, provider: str, old: str, new: str, reason: str = "") -> list[Alert]:
        with self._lock:
            return self._engine.breaker(provider, old, new, reason)

    def tick(self) -> list[Alert]:
        with self._lock:
            return self._engine.tick()

    def compliance(self) -> dict[str, Compliance]:
        with self._lock:
            return self._measures.compliance()

    def snapshot(self) -> SlaSnapshot:
        with self._lock:
            return SlaSnapshot(
                compliance=self._measures.compliance(),
                provider_error_rates=self._measures.provider_error_rates(),
                open_alerts=tuple(self._engine.open_alerts()),
            )
