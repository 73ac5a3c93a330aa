"""Observability, attached to a runtime through its hooks: :func:`install`.

One :class:`Observability` per runtime is the :class:`~shared.observability.records.ChatObserver` on
``runtime.observers`` and the state listener on ``runtime.breakers``. For each answered
request it records telemetry, queues the audit row and feeds the SLA monitor, whose alerts go
to the alert queue (:mod:`shared.escalation.alerts`) until a caller with an orchestration
client flushes it. Everything it does on the request path is in-memory and quick; I/O happens
on the audit writer's thread or, for alerts, after the answer.

Numbers come from ``config/observability-config.json``; a missing file means the defaults
(the seed's numbers). An invalid file is logged as critical and the defaults are used, because
an alert threshold must never take chat down.

The module-level helpers (:func:`chat_span`, :func:`attempt_span`, :func:`health_checked`,
:func:`escalation_sent`, :func:`audit_event`) are no-ops for a runtime without observability,
so the code that calls them needs no conditions.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from shared.escalation.alerts import Alert, AlertQueue, SentAlert, queue_for
from shared.observability.audit import (
    ALERT,
    AuditConfig,
    AuditStore,
    AuditTrail,
    AuditWriter,
    parse_audit_config,
    trail_for_settings,
)
from shared.observability.records import ChatRecord
from shared.observability.sla import (
    AlertAction,
    MonitorConfig,
    SlaMonitor,
    chat_outcome,
    parse_monitor_config,
)
from shared.observability.status import (
    RecentRecords,
    StatusConfig,
    StatusService,
    TableEscalationSource,
    parse_status_config,
)
from shared.observability.telemetry import (
    BREAKER_GAUGE,
    AttemptSpan,
    Telemetry,
    setup_soon,
    trace_carrier,
)
from shared.platform.config import DEFAULT_CONFIG_DIR, ConfigError, ConfigReader

if TYPE_CHECKING:
    from shared.breakers.rule import BreakerState
    from shared.breakers.service import BreakerService, BreakerView
    from shared.runtime import Runtime

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
    path = Path(config_dir or DEFAULT_CONFIG_DIR) / CONFIG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("%s not found; using the default alert and audit numbers", CONFIG_FILE)
        return ObservabilityConfig()
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{CONFIG_FILE}: {exc}") from exc
    try:
        return parse_observability_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{CONFIG_FILE}: {exc}") from exc


class HealthResult(Protocol):
    """The slice of :class:`shared.operations.health.CheckResult` telemetry reads."""

    @property
    def provider(self) -> str: ...

    @property
    def outcome(self) -> Any: ...


class Observability:
    """Telemetry, audit trail, SLA monitor, alert queue and status data of one runtime."""

    def __init__(
        self,
        runtime: Runtime,
        config: ObservabilityConfig,
        *,
        telemetry: Telemetry,
        trail: AuditTrail,
        monitor: SlaMonitor,
        alerts: AlertQueue,
        status: StatusService,
        recent: RecentRecords,
    ) -> None:
        self.runtime = runtime
        self.config = config
        self.telemetry = telemetry
        self.trail = trail
        self.monitor = monitor
        self.alerts = alerts
        self.status = status
        self._recent = recent
        self._breakers_seen: dict[str, str] = {}
        self._attached: weakref.WeakSet[BreakerService] = weakref.WeakSet()
        self._lock = threading.Lock()
        alerts.add_listener(self._alert_sent)
        telemetry.use_gauge_sources(self._breaker_gauge, self._compliance_gauge)

    # --- hooks ------------------------------------------------------------------------------

    def chat_completed(self, record: ChatRecord) -> None:
        """The chat observer: quick, in-memory, never raises past :class:`Observers`."""
        outcome = chat_outcome(record).value
        self._recent.add(record)
        self.telemetry.chat_completed(record, outcome)
        self.trail.chat(record, outcome)
        evaluation = self.monitor.chat_completed(record)
        self.telemetry.sla_violations(evaluation.violations)
        self._push(evaluation.actions)

    def breaker_changed(
        self, provider: str, old: BreakerState, new: BreakerState, view: BreakerView
    ) -> None:
        """The breaker state listener (it runs on whichever thread made the change)."""
        with self._lock:
            self._breakers_seen[provider] = new.value
        self.telemetry.breaker_changed(provider, old.value, new.value)
        self._push(self.monitor.breaker_changed(provider, old.value, new.value, view.reason))

    def health_checked(self, results: Iterable[HealthResult]) -> None:
        for result in results:
            outcome = result.outcome
            self.telemetry.health_checked(result.provider, str(getattr(outcome, "value", outcome)))

    def escalation_sent(self, audience: str, channel: str, result: str) -> None:
        self.telemetry.escalation_sent(audience, channel, result)

    def tick(self) -> None:
        """Let quiet rules resolve (the status page calls this; so does every request)."""
        self._push(self.monitor.tick())

    def attach_breakers(self) -> None:
        """Listen to the runtime's current breaker service (once per service)."""
        try:
            service = self.runtime.breakers
        except Exception:  # noqa: BLE001 - breakers are built lazily; try again next time
            log.warning("breaker service unavailable; breaker telemetry not attached yet")
            return
        with self._lock:
            if service in self._attached:
                return
            self._attached.add(service)
        service.add_listener(self.breaker_changed)

    # --- internals --------------------------------------------------------------------------

    def _push(self, actions: Iterable[AlertAction]) -> None:
        for action in actions:
            self.alerts.push(
                Alert(
                    title=action.title,
                    dedup_key=action.dedup_key,
                    rule=action.rule,
                    state=action.state,
                    severity=action.severity,
                    subject=action.subject,
                    facts=action.facts,
                )
            )

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
        names = [t.name for t in self.runtime.config.failover.tiers]
        try:
            views = self.runtime.breakers.states(names)
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


_installed: weakref.WeakKeyDictionary[Runtime, Observability] = weakref.WeakKeyDictionary()
_install_lock = threading.Lock()


def _usable_tiers(runtime: Runtime) -> list[str]:
    return [
        t.name
        for t in runtime.config.failover.tiers
        if t.enabled and runtime.is_configured(t.name) and runtime.residency_block(t.name) is None
    ]


TABLE_SETTING = "AUDIT_TABLE_NAME"


def _config_for(runtime: Runtime) -> ObservabilityConfig:
    try:
        config = load_observability_config(runtime.settings.config_dir or None)
    except ConfigError:
        log.critical("observability config invalid; using the defaults", exc_info=True)
        config = ObservabilityConfig()
    table = runtime.settings.get(TABLE_SETTING)
    # Like BREAKER_TABLE_NAME: another table on the same account (tests, a second app).
    return replace(config, audit=replace(config.audit, table=table)) if table else config


@dataclass(frozen=True, slots=True)
class _Providers:
    tracer_provider: Any = None
    meter_provider: Any = None


_providers = _Providers()


@contextmanager
def providers(*, tracer_provider: Any = None, meter_provider: Any = None) -> Iterator[None]:
    """Runtimes installed inside this block use these providers, not the global ones.

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


def install(
    runtime: Runtime,
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    audit_store: Callable[[], AuditStore] | None = None,
    clock: Callable[[], float] = time.time,
) -> Observability:
    """Attach observability to ``runtime`` (idempotent); returns it.

    Calling it again after :meth:`Runtime.use_breakers` attaches to the new breaker service.
    Providers default to those of :func:`providers`, else the global OpenTelemetry ones (see
    :func:`shared.observability.telemetry.setup`); ``audit_store`` to the ``audit`` table.
    """
    with _install_lock:
        found = _installed.get(runtime)
        if found is None:
            telemetry = Telemetry(
                tracer_provider or _providers.tracer_provider,
                meter_provider or _providers.meter_provider,
            )
            found = _build(runtime, telemetry, audit_store, clock)
            runtime.observers.add(found)
            _installed[runtime] = found
    found.attach_breakers()
    return found


def _build(
    runtime: Runtime,
    telemetry: Telemetry,
    audit_store: Callable[[], AuditStore] | None,
    clock: Callable[[], float],
) -> Observability:
    setup_soon(runtime.settings)
    config = _config_for(runtime)
    if audit_store is None:
        trail = trail_for_settings(runtime.settings, config.audit, clock)
    else:
        trail = AuditTrail(AuditWriter(audit_store, config.audit), config.audit, clock)
    monitor = SlaMonitor(runtime.config.safety.sla, config.monitor, _usable_tiers(runtime), clock)
    queue = queue_for(runtime)
    recent = RecentRecords(config.status.memory_records)
    status = StatusService(
        runtime,
        trail=trail,
        monitor=monitor,
        alerts=queue,
        recent=recent,
        escalations=_escalation_source(runtime),
        config=config.status,
        clock=clock,
    )
    return Observability(
        runtime,
        config,
        telemetry=telemetry,
        trail=trail,
        monitor=monitor,
        alerts=queue,
        status=status,
        recent=recent,
    )


def _escalation_source(runtime: Runtime) -> TableEscalationSource | None:
    try:
        return TableEscalationSource.for_runtime(runtime)
    except Exception:  # noqa: BLE001 - the page says escalations are unavailable
        log.warning("escalations table unavailable for the status page")
        return None


def installed(runtime: Runtime) -> Observability | None:
    with _install_lock:
        return _installed.get(runtime)


# --- helpers for the code on the chat path ---------------------------------------------------


@contextmanager
def chat_span(runtime: Runtime) -> Iterator[None]:
    """The request's ``chat`` span (nothing when observability is not installed)."""
    found = installed(runtime)
    if found is None:
        yield
        return
    with found.telemetry.chat_span():
        yield


def orchestration_trace() -> dict[str, str]:
    """The trace context to carry in the orchestration input (empty without a span)."""
    return trace_carrier()


class _NoSpan:
    def outcome(self, outcome: str) -> None:
        """Nothing to record."""


@contextmanager
def attempt_span(
    runtime: Runtime, carrier: Mapping[str, str] | None, *, provider: str, tier: int | None
) -> Iterator[AttemptSpan | _NoSpan]:
    """A ``tier.attempt`` span in the provider activity, child of the request's span."""
    found = installed(runtime)
    if found is None:
        yield _NoSpan()
        return
    with found.telemetry.attempt_span(carrier, provider=provider, tier=tier) as span:
        yield span


def health_checked(runtime: Runtime, results: Iterable[HealthResult]) -> None:
    """Count health-check results (``askeve.health.checks``)."""
    found = installed(runtime)
    if found is not None:
        found.health_checked(results)


def escalation_sent(runtime: Runtime, audience: str, channel: str, result: str) -> None:
    """Count one escalation delivery attempt (``askeve.escalations``)."""
    found = installed(runtime)
    if found is not None:
        found.escalation_sent(audience, channel, result)


def audit_event(runtime: Runtime, name: str, fields: Mapping[str, Any]) -> None:
    """Queue an audit row for an operator or system event (key rotation, escalation, ...).
    ``fields`` must be content-free scalars."""
    found = installed(runtime)
    if found is not None:
        found.trail.event(name, fields)
