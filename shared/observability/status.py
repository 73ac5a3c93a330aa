"""The status dashboard's data: what ``GET /api/status`` and ``/api/status.json`` show.

:func:`build_report` is pure: from the chat records of a window (read back from the ``audit``
table, so every instance's requests count), the tiers with their breakers and last health
checks, the alert rows and the escalations, it computes per-tier p50/p95 latency, a
latency-over-time series, SLA compliance, recent failovers and alerts, open alerts and crisis
escalations with their acknowledgement state. :class:`StatusService` gathers those inputs
(off the event loop, each source allowed to fail on its own) and caches a window briefly,
because the page refreshes itself.

If the audit table cannot be read, the report falls back to this instance's recent records
and says so (``source: memory``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from shared.escalation import CASE_ROW, OUTCOMES
from shared.events import ChatRecord
from shared.failover import EMERGENCY
from shared.observability.audit import ALERT, EVENT, AuditEvent, AuditStats, AuditTrail
from shared.observability.sla import (
    ChatOutcome,
    Measure,
    OpenAlert,
    SlaMonitor,
    chat_outcome,
    failover_hops,
    judge,
    provider_failed,
    switch_time_ms,
    targets_of,
    was_called,
)
from shared.platform import (
    ConfigReader,
    Settings,
    SlaConfig,
    TierConfig,
    emergency_tier,
    iso,
    table_client,
)
from shared.safety.retraction import RETRACTION_EVENT

if TYPE_CHECKING:
    from shared.breakers import BreakerView
    from shared.escalation import AlertQueue
    from shared.operations import CheckResult

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Window(StrEnum):
    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"

    @property
    def seconds(self) -> float:
        return {Window.HOUR: 3600.0, Window.DAY: 86_400.0, Window.WEEK: 604_800.0}[self]

    @property
    def bucket_seconds(self) -> float:
        """Chart resolution: 12 points an hour, 24 a day, 28 a week."""
        return {Window.HOUR: 300.0, Window.DAY: 3600.0, Window.WEEK: 21_600.0}[self]


def parse_window(value: str | None) -> Window:
    """``1h`` (the default), ``24h`` or ``7d``; raises ValueError for anything else."""
    if not value:
        return Window.HOUR
    return Window(value.strip().lower())


@dataclass(frozen=True, slots=True)
class StatusConfig:
    refresh_s: int = 30
    max_records: int = 20_000
    cache_s: float = 15.0
    recent_items: int = 10
    memory_records: int = 5_000


def parse_status_config(reader: ConfigReader) -> StatusConfig:
    base = StatusConfig()
    return StatusConfig(
        refresh_s=reader.integer("refresh_s", base.refresh_s, minimum=5),
        max_records=reader.integer("max_records", base.max_records, minimum=100),
        cache_s=reader.number("cache_s", base.cache_s),
        recent_items=reader.integer("recent_items", base.recent_items, minimum=1),
        memory_records=reader.integer("memory_records", base.memory_records, minimum=100),
    )


# --- values ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting
    return ordered[min(len(ordered), int(rank)) - 1]


@dataclass(frozen=True, slots=True)
class LatencyStats:
    count: int
    p50_ms: float | None
    p95_ms: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> LatencyStats:
        return cls(len(values), percentile(values, 50), percentile(values, 95))

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "p50_ms": _ms(self.p50_ms), "p95_ms": _ms(self.p95_ms)}


@dataclass(frozen=True, slots=True)
class CheckSummary:
    at: float
    outcome: str
    ms: float


@dataclass(frozen=True, slots=True)
class TierRow:
    tier: int
    name: str
    kind: str
    region: str
    enabled: bool
    configured: bool
    breaker: str  # closed, half_open, open, unknown (store unreadable), n/a (emergency tier)
    breaker_reason: str
    forced: bool
    open_until: float | None
    last_check: CheckSummary | None
    latency: LatencyStats  # requests this tier answered
    calls: int
    failures: int

    def to_json(self) -> dict[str, Any]:
        check = self.last_check
        return {
            "tier": self.tier,
            "name": self.name,
            "kind": self.kind,
            "region": self.region,
            "enabled": self.enabled,
            "configured": self.configured,
            "breaker": {
                "state": self.breaker,
                "reason": self.breaker_reason,
                "forced": self.forced,
                "open_until": iso(self.open_until),
            },
            "last_check": None
            if check is None
            else {"at": iso(check.at), "outcome": check.outcome, "ms": _ms(check.ms)},
            "answered": self.latency.count,
            "latency": self.latency.to_json(),
            "calls": self.calls,
            "failures": self.failures,
            "error_rate": None if self.calls == 0 else round(self.failures / self.calls, 4),
        }


@dataclass(frozen=True, slots=True)
class LatencyPoint:
    start: float
    latency: LatencyStats

    def to_json(self) -> dict[str, Any]:
        return {"start": iso(self.start), **self.latency.to_json()}


@dataclass(frozen=True, slots=True)
class SlaRow:
    measure: str
    total: int
    good: int
    target: float

    @property
    def compliance(self) -> float | None:
        return None if self.total == 0 else self.good / self.total

    def to_json(self) -> dict[str, Any]:
        compliance = self.compliance
        return {
            "measure": self.measure,
            "requests": self.total,
            "violations": self.total - self.good,
            "compliance": None if compliance is None else round(compliance, 5),
            "target": self.target,
            "met": compliance is None or compliance >= self.target,
        }


@dataclass(frozen=True, slots=True)
class FailoverRow:
    at: float
    route: tuple[tuple[str, str, float], ...]  # (provider, outcome, ms) per attempt
    answered_by: str
    tier: int
    switch_ms: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "route": [{"provider": p, "outcome": o, "ms": _ms(ms)} for p, o, ms in self.route],
            "answered_by": self.answered_by,
            "tier": self.tier,
            "switch_ms": _ms(self.switch_ms),
        }


@dataclass(frozen=True, slots=True)
class AlertRow:
    at: float
    rule: str
    state: str
    severity: str
    title: str
    subject: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "rule": self.rule,
            "state": self.state,
            "severity": self.severity,
            "title": self.title,
            "subject": self.subject,
        }


@dataclass(frozen=True, slots=True)
class EscalationRow:
    id: str
    kind: str
    audience: str
    category: str
    started_at: float
    delivered: tuple[str, ...]
    acknowledged: bool
    overdue: bool
    # What nurses recorded on the view (contacted, could_not_contact, ...), oldest first.
    outcomes: tuple[str, ...] = ()

    @property
    def awaiting_ack(self) -> bool:
        return self.kind == "crisis" and not self.acknowledged

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "audience": self.audience,
            "category": self.category,
            "started_at": iso(self.started_at),
            "delivered": list(self.delivered),
            "acknowledged": self.acknowledged,
            "ack_overdue": self.overdue,
            "outcomes": list(self.outcomes),
        }


@dataclass(frozen=True, slots=True)
class Totals:
    requests: int
    answered: int
    crisis: int
    emergency: int
    errors: int
    degraded: int
    latency: LatencyStats

    @property
    def availability(self) -> float | None:
        return None if self.requests == 0 else self.answered / self.requests

    def to_json(self) -> dict[str, Any]:
        availability = self.availability
        return {
            "requests": self.requests,
            "answered": self.answered,
            "crisis": self.crisis,
            "emergency": self.emergency,
            "errors": self.errors,
            "degraded": self.degraded,
            "availability": None if availability is None else round(availability, 5),
            "latency": self.latency.to_json(),
        }


@dataclass(frozen=True, slots=True)
class StatusReport:
    generated_at: float
    window: Window
    source: str  # audit (every instance) or memory (this instance only)
    totals: Totals
    tiers: tuple[TierRow, ...]
    latency_series: tuple[LatencyPoint, ...]
    sla: tuple[SlaRow, ...]
    failovers: tuple[FailoverRow, ...]
    alerts: tuple[AlertRow, ...]
    open_alerts: tuple[AlertRow, ...]
    escalations: tuple[EscalationRow, ...]
    audit: AuditStats | None
    refresh_s: int
    notes: tuple[str, ...] = ()
    # Crisis replies followed by a retraction in the same conversation (H28), from the audit
    # table's crisis_retracted events.
    crisis_retractions: int = 0

    @property
    def awaiting_ack(self) -> tuple[EscalationRow, ...]:
        return tuple(e for e in self.escalations if e.awaiting_ack)

    @property
    def outcome_counts(self) -> dict[str, int]:
        """How many of each outcome nurses recorded on this window's escalations (every
        recording counts: ``could_not_contact`` then ``contacted`` is one of each)."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for row in self.escalations:
            for outcome in row.outcomes:
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        audit = self.audit
        return {
            "generated_at": iso(self.generated_at),
            "window": self.window.value,
            "source": self.source,
            "refresh_s": self.refresh_s,
            "totals": self.totals.to_json(),
            "tiers": [t.to_json() for t in self.tiers],
            "latency_series": [p.to_json() for p in self.latency_series],
            "sla": [s.to_json() for s in self.sla],
            "recent_failovers": [f.to_json() for f in self.failovers],
            "recent_alerts": [a.to_json() for a in self.alerts],
            "open_alerts": [a.to_json() for a in self.open_alerts],
            "escalations": [e.to_json() for e in self.escalations],
            "unacknowledged_escalations": len(self.awaiting_ack),
            "crisis_retractions": self.crisis_retractions,
            "escalation_outcomes": self.outcome_counts,
            "audit": None
            if audit is None
            else {
                "written": audit.written,
                "retried": audit.retried,
                "kept_in_log": audit.kept_in_log,
                "pending": audit.pending,
                "storage_ok": audit.storage_ok,
                "last_error": audit.last_error,
            },
            "notes": list(self.notes),
        }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierInput:
    """One configured tier with what is known about it now."""

    config: TierConfig
    configured: bool
    breaker: BreakerView | None
    last_check: CheckResult | None


@dataclass(frozen=True, slots=True)
class ReportInputs:
    now: float
    window: Window
    records: Sequence[ChatRecord]
    source: str
    tiers: Sequence[TierInput]
    sla: SlaConfig
    alert_events: Sequence[AuditEvent] = ()
    instance_alerts: Sequence[AlertRow] = ()
    instance_open: Sequence[OpenAlert] = ()
    escalations: Sequence[EscalationRow] = ()
    audit: AuditStats | None = None
    recent_items: int = 10
    refresh_s: int = 30
    notes: Sequence[str] = field(default_factory=tuple)
    retraction_events: Sequence[AuditEvent] = ()


def build_report(inputs: ReportInputs) -> StatusReport:
    since = inputs.now - inputs.window.seconds
    records = [r for r in inputs.records if since <= r.at.timestamp() <= inputs.now]
    alerts, open_alerts = _alerts(inputs)
    return StatusReport(
        generated_at=inputs.now,
        window=inputs.window,
        source=inputs.source,
        totals=_totals(records),
        tiers=_tier_rows(inputs.tiers, records),
        latency_series=_series(records, since, inputs.now, inputs.window.bucket_seconds),
        sla=_sla(records, inputs.sla),
        failovers=_failovers(records, inputs.recent_items),
        alerts=alerts,
        open_alerts=open_alerts,
        escalations=tuple(sorted(inputs.escalations, key=lambda e: -e.started_at)),
        audit=inputs.audit,
        refresh_s=inputs.refresh_s,
        notes=tuple(inputs.notes),
        crisis_retractions=_retractions(inputs.retraction_events, since, inputs.now),
    )


def _retractions(events: Sequence[AuditEvent], since: float, now: float) -> int:
    """Crisis replies followed by a retraction within the window."""
    return sum(e.name == RETRACTION_EVENT and since <= e.at <= now for e in events)


def _totals(records: Sequence[ChatRecord]) -> Totals:
    outcomes = [chat_outcome(r) for r in records]
    return Totals(
        requests=len(records),
        answered=sum(o in (ChatOutcome.OK, ChatOutcome.CRISIS) for o in outcomes),
        crisis=sum(o is ChatOutcome.CRISIS for o in outcomes),
        emergency=sum(o is ChatOutcome.EMERGENCY for o in outcomes),
        errors=sum(o is ChatOutcome.ERROR for o in outcomes),
        degraded=sum(r.degraded for r in records),
        latency=LatencyStats.of([r.latency_ms for r in records]),
    )


def _tier_rows(tiers: Sequence[TierInput], records: Sequence[ChatRecord]) -> tuple[TierRow, ...]:
    rows = []
    for number, tier in enumerate(tiers, start=1):
        name = tier.config.name
        attempts = [a for r in records for a in r.attempts if a.provider == name and was_called(a)]
        view = tier.breaker
        check = tier.last_check
        rows.append(
            TierRow(
                tier=number,
                name=name,
                kind=tier.config.kind,
                region=tier.config.region,
                enabled=tier.config.enabled,
                configured=tier.configured,
                breaker="unknown" if view is None else view.state.value,
                breaker_reason="" if view is None else view.reason,
                forced=False if view is None else view.forced,
                open_until=None if view is None else view.open_until,
                last_check=None
                if check is None
                else CheckSummary(check.at, check.outcome.value, check.ms),
                latency=LatencyStats.of(
                    [r.latency_ms for r in records if r.provider == name and not r.crisis]
                ),
                calls=len(attempts),
                failures=sum(provider_failed(a) for a in attempts),
            )
        )
    emergency = [r for r in records if r.provider == EMERGENCY]
    rows.append(
        TierRow(
            tier=emergency_tier(tiers),
            name=EMERGENCY,
            kind="pre-approved text",
            region="-",
            enabled=True,
            configured=True,
            breaker="n/a",
            breaker_reason="",
            forced=False,
            open_until=None,
            last_check=None,
            latency=LatencyStats.of([r.latency_ms for r in emergency]),
            calls=0,
            failures=0,
        )
    )
    return tuple(rows)


def _series(
    records: Sequence[ChatRecord], since: float, now: float, bucket_s: float
) -> tuple[LatencyPoint, ...]:
    count = max(1, round((now - since) / bucket_s))
    buckets: list[list[float]] = [[] for _ in range(count)]
    for record in records:
        index = int((record.at.timestamp() - since) // bucket_s)
        buckets[min(max(index, 0), count - 1)].append(record.latency_ms)
    return tuple(
        LatencyPoint(since + i * bucket_s, LatencyStats.of(values))
        for i, values in enumerate(buckets)
    )


def _sla(records: Sequence[ChatRecord], targets: SlaConfig) -> tuple[SlaRow, ...]:
    total = dict.fromkeys(Measure, 0)
    good = dict.fromkeys(Measure, 0)
    for record in records:
        for sample in judge(record, targets):
            total[sample.measure] += 1
            good[sample.measure] += sample.ok
    goals = targets_of(targets)
    return tuple(SlaRow(m.value, total[m], good[m], goals[m]) for m in Measure)


def _failovers(records: Sequence[ChatRecord], limit: int) -> tuple[FailoverRow, ...]:
    found = [r for r in records if failover_hops(r)]
    found.sort(key=lambda r: r.at, reverse=True)
    return tuple(
        FailoverRow(
            at=r.at.timestamp(),
            route=tuple((a.provider, a.outcome.value, a.ms) for a in r.attempts),
            answered_by=r.provider,
            tier=r.tier,
            switch_ms=switch_time_ms(r),
        )
        for r in found[:limit]
    )


def _alert_row(event: AuditEvent) -> AlertRow:
    fields = event.fields
    return AlertRow(
        at=event.at,
        rule=event.name,
        state=str(fields.get("state", "raised")),
        severity=str(fields.get("severity", "")),
        title=str(fields.get("title", "")),
        subject=str(fields.get("subject", "")),
    )


def _alerts(inputs: ReportInputs) -> tuple[tuple[AlertRow, ...], tuple[AlertRow, ...]]:
    rows = [_alert_row(e) for e in inputs.alert_events]
    if not rows:
        rows = list(inputs.instance_alerts)
    rows.sort(key=lambda a: a.at)
    latest: dict[tuple[str, str], AlertRow] = {}
    for row in rows:
        latest[(row.rule, row.subject)] = row
    open_rows = {key: row for key, row in latest.items() if row.state == "raised"}
    for alert in inputs.instance_open:
        open_rows.setdefault(
            (alert.rule, alert.subject),
            AlertRow(alert.since, alert.rule, "raised", alert.severity, alert.title, alert.subject),
        )
    recent = tuple(reversed(rows[-inputs.recent_items :]))
    ordered_open = tuple(sorted(open_rows.values(), key=lambda a: a.at, reverse=True))
    return recent, ordered_open


# --- escalations -----------------------------------------------------------------------------


class EscalationSource(Protocol):
    """Recent escalations with their delivery and acknowledgement state."""

    def recent(self, since: float) -> list[EscalationRow]: ...


class TableEscalationSource:
    """Reads the ``escalations`` table that :mod:`shared.escalation.store` writes.

    A seam: it knows that store's row layout (PartitionKey = escalation id, RowKey =
    ``<ns>-<event>``, ``dedup`` rows apart). It belongs in the store as a ``recent`` query.
    """

    def __init__(self, table: Any) -> None:
        self._table = table

    @classmethod
    def for_settings(cls, settings: Settings) -> TableEscalationSource:
        return cls(table_client(settings, settings.escalation_table, timeout_s=2.0))

    def recent(self, since: float) -> list[EscalationRow]:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415 - lazy

        # Case rows (RowKey ``case``) may hold message text: never read here.
        rows = self._table.query_entities(
            f"Timestamp ge @since and RowKey ne '{CASE_ROW}'",
            parameters={"since": datetime.fromtimestamp(since, UTC)},
            results_per_page=1000,
        )
        try:
            return summarise_escalations([dict(r) for r in rows])
        except ResourceNotFoundError:
            return []  # no escalation has ever been stored: the table is created with the first


# Partitions of the escalations table that hold claims and memory, not an escalation's events.
_NOT_ESCALATIONS = frozenset({"dedup", "pending-crisis", "conversation"})


def summarise_escalations(rows: Iterable[Mapping[str, Any]]) -> list[EscalationRow]:
    """Fold audit rows of the escalations table into one row per escalation."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        partition = str(row.get("PartitionKey", ""))
        if partition and partition not in _NOT_ESCALATIONS and row.get("RowKey") != CASE_ROW:
            grouped.setdefault(partition, []).append(row)
    found = []
    for escalation_id, items in grouped.items():
        items.sort(key=lambda r: str(r.get("RowKey", "")))
        first = next((r for r in items if r.get("event") == "started"), items[0])
        started_ns = _row_ns(str(items[0].get("RowKey", "")))
        found.append(
            EscalationRow(
                id=escalation_id,
                kind=str(first.get("kind", "")),
                audience=str(first.get("audience", "")),
                category=str(first.get("category", "") or ""),
                started_at=started_ns / 1e9,
                delivered=tuple(
                    sorted({str(r.get("channel")) for r in items if r.get("event") == "delivered"})
                ),
                acknowledged=any(r.get("event") == "acknowledged" for r in items),
                overdue=any(r.get("event") == "ack_overdue" for r in items),
                outcomes=tuple(str(r.get("outcome")) for r in items if r.get("event") == "outcome"),
            )
        )
    return found


def _row_ns(row_key: str) -> int:
    head = row_key.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


# --- gathering -------------------------------------------------------------------------------


class RecentRecords:
    """This instance's latest chat records: the fallback when the audit table is unreadable."""

    def __init__(self, size: int) -> None:
        self._records: deque[ChatRecord] = deque(maxlen=size)

    def add(self, record: ChatRecord) -> None:
        self._records.append(record)  # deque.append is atomic

    def since(self, since: float) -> list[ChatRecord]:
        return [r for r in list(self._records) if r.at.timestamp() >= since]


@dataclass(slots=True)
class _Cached:
    at: float
    records: list[ChatRecord]
    events: list[AuditEvent]
    source: str
    notes: list[str]
    retractions: list[AuditEvent] = field(default_factory=list)


class BreakerStates(Protocol):
    """The slice of the breaker service the page reads."""

    def states(self, providers: Iterable[str]) -> list[BreakerView]: ...


class LatestResults(Protocol):
    """The slice of the health results store the page reads."""

    def latest(self, providers: Iterable[str]) -> Mapping[str, CheckResult]: ...


class StatusService:
    """Gathers the report's inputs for one runtime; each source may fail on its own."""

    def __init__(
        self,
        *,
        sla: SlaConfig,
        tiers: Sequence[TierConfig],
        breakers: BreakerStates,
        health_results: LatestResults,
        is_configured: Callable[[str], bool],
        trail: AuditTrail,
        monitor: SlaMonitor,
        alerts: AlertQueue,
        recent: RecentRecords,
        escalations: EscalationSource | None,
        config: StatusConfig,
        clock: Clock = time.time,
        warnings: Sequence[str] = (),
    ) -> None:
        self._warnings = tuple(warnings)
        self._sla = sla
        self._tiers_config = tuple(tiers)
        self._breakers = breakers
        self._health_results = health_results
        self._is_configured = is_configured
        self._trail = trail
        self._monitor = monitor
        self._alerts = alerts
        self._recent = recent
        self._escalations = escalations
        self._config = config
        self._clock = clock
        self._cache: dict[Window, _Cached] = {}

    @property
    def config(self) -> StatusConfig:
        return self._config

    async def report(self, window: Window) -> StatusReport:
        now = self._clock()
        history, tiers, escalations = await asyncio.gather(
            self._history(window, now), self._tiers(), self._recent_escalations(window, now)
        )
        notes = [*self._warnings, *history.notes]
        if escalations is None:
            notes.append("escalations unavailable: the escalations table could not be read")
        snapshot = self._monitor.snapshot()
        instance_alerts = [
            AlertRow(s.at, s.alert.rule, s.alert.state, s.alert.severity, s.alert.title)
            for s in self._alerts.recent()
        ]
        return build_report(
            ReportInputs(
                now=now,
                window=window,
                records=history.records,
                source=history.source,
                tiers=tiers,
                sla=self._sla,
                alert_events=history.events,
                instance_alerts=instance_alerts,
                instance_open=snapshot.open_alerts,
                escalations=escalations or [],
                audit=self._trail.stats,
                recent_items=self._config.recent_items,
                refresh_s=self._config.refresh_s,
                notes=notes,
                retraction_events=history.retractions,
            )
        )

    async def _history(self, window: Window, now: float) -> _Cached:
        cached = self._cache.get(window)
        if cached is not None and 0 <= now - cached.at < self._config.cache_s:
            return cached
        since = now - window.seconds
        limit = self._config.max_records
        try:
            records, events, system_events = await asyncio.gather(
                asyncio.to_thread(self._trail.records, since, now, limit),
                asyncio.to_thread(self._trail.events, ALERT, since, now, 500),
                asyncio.to_thread(self._trail.events, EVENT, since, now, 1000),
            )
        except Exception as exc:  # noqa: BLE001 - the page still shows this instance's view
            log.warning("audit table unreadable for the status page: %s", type(exc).__name__)
            note = "audit table unreadable: figures are this instance's recent requests only"
            return _Cached(now, self._recent.since(since), [], "memory", [note])
        notes = []
        if len(records) >= limit:
            notes.append(f"only the newest {limit} requests of the window are shown")
        retractions = [e for e in system_events if e.name == RETRACTION_EVENT]
        fresh = _Cached(now, records, events, "audit", notes, retractions)
        self._cache[window] = fresh
        return fresh

    async def _tiers(self) -> list[TierInput]:
        tiers = self._tiers_config
        names = [t.name for t in tiers]
        views: dict[str, BreakerView] = {}
        checks: Mapping[str, CheckResult] = {}
        try:
            found = await asyncio.to_thread(self._breakers.states, names)
            views = {v.provider: v for v in found}
        except Exception as exc:  # noqa: BLE001 - shown as unknown
            log.warning("breaker states unavailable for the status page: %s", type(exc).__name__)
        try:
            checks = await asyncio.to_thread(self._health_results.latest, names)
        except Exception as exc:  # noqa: BLE001 - shown as no check
            log.warning("health results unavailable for the status page: %s", type(exc).__name__)
        return [
            TierInput(t, self._is_configured(t.name), views.get(t.name), checks.get(t.name))
            for t in tiers
        ]

    async def _recent_escalations(self, window: Window, now: float) -> list[EscalationRow] | None:
        if self._escalations is None:
            return None
        try:
            return await asyncio.to_thread(self._escalations.recent, now - window.seconds)
        except Exception as exc:  # noqa: BLE001 - noted on the page
            log.warning("escalations unavailable for the status page: %s", type(exc).__name__)
            return None
