"""Observability: telemetry, the audit trail, the SLA monitor and the status page's data.

One :class:`Observability` per process subscribes to the core's events port
(:mod:`shared.events`): for each answered request it records telemetry, queues the audit row
and feeds the SLA monitor, whose alerts go onto the alert queue
(:mod:`shared.escalation.alerts`) until code with an orchestration client flushes it; breaker
changes, health checks, escalation deliveries and audit events are counted and audited the
same way. Everything it does on the emitting thread is in-memory and quick; I/O happens on the
audit writer's thread or, for alerts, after the answer. The edges (triggers) also use it for
spans: :meth:`Observability.chat_span` and :meth:`Observability.attempt_span`.

Numbers come from ``config/observability-config.json``; a missing file means the defaults
(the seed's numbers). An invalid file is logged as critical and the defaults are used, because
an alert threshold must never take chat down. :func:`build_observability` builds it from the
services it reads; :mod:`shared.bootstrap` calls it and subscribes the result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from shared.escalation import Alert, AlertQueue, SentAlert
from shared.events import Audited, BreakerChanged, ChatRecord, EscalationSent, Event, HealthChecked
from shared.observability.audit import (
    ALERT,
    AuditConfig,
    AuditStore,
    AuditTrail,
    AuditWriter,
    parse_audit_config,
    trail_for_settings,
)
from shared.observability.sla import (
    MonitorConfig,
    SlaMonitor,
    chat_outcome,
    parse_monitor_config,
)
from shared.observability.status import (
    BreakerStates,
    LatestResults,
    RecentRecords,
    StatusConfig,
    StatusService,
    TableEscalationSource,
    parse_status_config,
)
from shared.observability.telemetry import BREAKER_GAUGE, AttemptSpan, Telemetry, setup_soon
from shared.platform import (
    ConfigError,
    ConfigReader,
    Settings,
    SlaConfig,
    TierConfig,
    config_path,
    read_config_file,
)

log = logging.getLogger(__name__)

CONFIG_FILE = "observability-config.json"


@dataclass(frozen=True, slots=True)
class ObservabilityConfig:
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    status: StatusConfig = field(default_factory=StatusConfig)


def parse_observability_config(data: object) -> ObservabilityConfig:
    root = ConfigReader(data, "")
    return ObservabilityConfig(
        monitor=parse_monitor_config(root),
        audit=parse_audit_config(
            root.obj("audit") if root.has("audit") else ConfigReader({}, "audit")
        ),
        status=parse_status_config(
            root.obj("status") if root.has("status") else ConfigReader({}, "status")
        ),
    )


def load_observability_config(config_dir: str | Path | None = None) -> ObservabilityConfig:
    """Read and validate the file; defaults when it is absent. Raises ConfigError."""
    return read_config_file(
        config_path(config_dir, CONFIG_FILE),
        parse_observability_config,
        default=ObservabilityConfig,
    )


class Observability:
    """Telemetry, audit trail, SLA monitor, alert listener and status data of one process."""

    def __init__(
        self,
        config: ObservabilityConfig,
        *,
        telemetry: Telemetry,
        trail: AuditTrail,
        monitor: SlaMonitor,
        alerts: AlertQueue,
        status: StatusService,
        recent: RecentRecords,
        breakers: BreakerStates,
        tier_names: Sequence[str],
    ) -> None:
        self.config = config
        self.telemetry = telemetry
        self.trail = trail
        self.monitor = monitor
        self.alerts = alerts
        self.status = status
        self._recent = recent
        self._breakers = breakers
        self._tier_names = list(tier_names)
        self._breakers_seen: dict[str, str] = {}
        self._lock = threading.Lock()
        alerts.add_listener(self._alert_sent)
        telemetry.use_gauge_sources(self._breaker_gauge, self._compliance_gauge)

    # --- the events port's subscriber -------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Subscribed to the events port: quick, in-memory (the bus logs what raises)."""
        if isinstance(event, ChatRecord):
            self.chat_completed(event)
        elif isinstance(event, BreakerChanged):
            self.breaker_changed(event)
        elif isinstance(event, HealthChecked):
            self.telemetry.health_checked(event.provider, event.outcome)
        elif isinstance(event, EscalationSent):
            self.telemetry.escalation_sent(event.audience, event.channel, event.result)
        elif isinstance(event, Audited):
            self.trail.event(event.name, event.fields)

    def chat_completed(self, record: ChatRecord) -> None:
        outcome = chat_outcome(record).value
        self._recent.add(record)
        self.telemetry.chat_completed(record, outcome)
        self.trail.chat(record, outcome)
        evaluation = self.monitor.chat_completed(record)
        self.telemetry.sla_violations(evaluation.violations)
        self._push(evaluation.actions)

    def breaker_changed(self, change: BreakerChanged) -> None:
        with self._lock:
            self._breakers_seen[change.provider] = change.new
        self.telemetry.breaker_changed(change.provider, change.old, change.new)
        self._push(
            self.monitor.breaker_changed(change.provider, change.old, change.new, change.reason)
        )

    def tick(self) -> None:
        """Let quiet rules resolve (the status page calls this; so does every request)."""
        self._push(self.monitor.tick())

    # --- spans, for the edges ---------------------------------------------------------------

    @contextmanager
    def chat_span(self) -> Iterator[None]:
        """The request's ``chat`` span."""
        with self.telemetry.chat_span():
            yield

    def attempt_span(
        self, carrier: Mapping[str, str] | None, *, provider: str, tier: int | None
    ) -> AbstractContextManager[AttemptSpan]:
        """A ``tier.attempt`` span in the provider activity, child of the request's span."""
        return self.telemetry.attempt_span(carrier, provider=provider, tier=tier)

    # --- internals --------------------------------------------------------------------------

    def _push(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            self.alerts.push(alert)

    def _alert_sent(self, sent: SentAlert) -> None:
        alert = sent.alert
        log.warning(
            "operations alert %s: rule=%s severity=%s deduplicated=%s",
            alert.state,
            alert.rule,
            alert.severity,
            sent.deduplicated,
        )
        self.trail.event(
            alert.rule or "alert",
            {
                "state": alert.state,
                "severity": alert.severity,
                "subject": alert.subject,
                "title": alert.title,
                "dedup_key": alert.dedup_key,
                "escalation_id": sent.escalation_id,
                "deduplicated": sent.deduplicated,
                "started": sent.started,
            },
            kind=ALERT,
        )

    def _breaker_gauge(self) -> Mapping[str, float]:
        try:
            views = self._breakers.states(self._tier_names)
            states = {v.provider: v.state.value for v in views}
        except Exception:  # noqa: BLE001 - report what this instance last saw
            with self._lock:
                states = dict(self._breakers_seen)
        return {name: float(BREAKER_GAUGE.get(state, 0)) for name, state in states.items()}

    def _compliance_gauge(self) -> Mapping[str, float]:
        return {
            measure: ratio
            for measure, compliance in self.monitor.compliance().items()
            if (ratio := compliance.ratio) is not None
        }


TABLE_SETTING = "AUDIT_TABLE_NAME"


def _config_for(settings: Settings) -> ObservabilityConfig:
    try:
        config = load_observability_config(settings.config_dir or None)
    except ConfigError:
        log.critical("observability config invalid; using the defaults", exc_info=True)
        config = ObservabilityConfig()
    table = settings.get(TABLE_SETTING)
    # Like BREAKER_TABLE_NAME: another table on the same account (tests, a second app).
    return replace(config, audit=replace(config.audit, table=table)) if table else config


@dataclass(frozen=True, slots=True)
class _Providers:
    tracer_provider: Any = None
    meter_provider: Any = None


_providers = _Providers()


@contextmanager
def providers(*, tracer_provider: Any = None, meter_provider: Any = None) -> Iterator[None]:
    """Observability built inside this block uses these providers, not the global ones.

    A testing switch: OpenTelemetry's global providers can be set once per process, so tests
    that capture telemetry pass their own in-memory ones through here.
    """
    global _providers  # noqa: PLW0603 - a deliberate, scoped testing switch
    previous = _providers
    _providers = _Providers(tracer_provider, meter_provider)
    try:
        yield
    finally:
        _providers = previous


def build_observability(
    settings: Settings,
    *,
    sla: SlaConfig,
    tiers: Sequence[TierConfig],
    usable_tiers: Sequence[str],
    breakers: BreakerStates,
    health_results: LatestResults,
    is_configured: Callable[[str], bool],
    alerts: AlertQueue,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    audit_store: Callable[[], AuditStore] | None = None,
    clock: Callable[[], float] = time.time,
    warnings: Sequence[str] = (),
) -> Observability:
    """Observability over the services it reads. Providers default to those of
    :func:`providers`, else the global OpenTelemetry ones (see
    :func:`shared.observability.telemetry.setup`); ``audit_store`` to the ``audit`` table.
    ``warnings`` (configuration problems found at start) head the status page's notes."""
    setup_soon(settings)
    telemetry = Telemetry(
        tracer_provider or _providers.tracer_provider,
        meter_provider or _providers.meter_provider,
    )
    config = _config_for(settings)
    if audit_store is None:
        trail = trail_for_settings(settings, config.audit, clock)
    else:
        trail = AuditTrail(AuditWriter(audit_store, config.audit), config.audit, clock)
    monitor = SlaMonitor(sla, config.monitor, list(usable_tiers), clock)
    recent = RecentRecords(config.status.memory_records)
    status = StatusService(
        sla=sla,
        tiers=tiers,
        breakers=breakers,
        health_results=health_results,
        is_configured=is_configured,
        trail=trail,
        monitor=monitor,
        alerts=alerts,
        recent=recent,
        escalations=_escalation_source(settings),
        config=config.status,
        clock=clock,
        warnings=warnings,
    )
    return Observability(
        config,
        telemetry=telemetry,
        trail=trail,
        monitor=monitor,
        alerts=alerts,
        status=status,
        recent=recent,
        breakers=breakers,
        tier_names=[t.name for t in tiers],
    )


def _escalation_source(settings: Settings) -> TableEscalationSource | None:
    try:
        return TableEscalationSource.for_settings(settings)
    except Exception:  # noqa: BLE001 - the page says escalations are unavailable
        log.warning("escalations table unavailable for the status page")
        return None
