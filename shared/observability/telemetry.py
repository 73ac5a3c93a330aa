"""OpenTelemetry: process setup, the ``askeve.*`` instruments, the chat and tier-attempt spans.

**Setup** (:func:`setup`, once per process). Azure Monitor (``azure-monitor-opentelemetry``)
is configured only when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set and the Functions
worker is not configuring it itself (``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true``),
which would export everything twice. Locally, ``ASKEVE_OTEL_EXPORTER=console`` prints spans
and metrics, and ``ASKEVE_OTEL_EXPORTER=otlp`` sends them to an OTLP endpoint (the standard
``OTEL_EXPORTER_OTLP_*`` settings) when ``opentelemetry-exporter-otlp-proto-http`` is
installed. With none of these, the API's no-op providers make every call nearly free. Every
OpenTelemetry import is lazy, so importing the function app stays cheap.

**Privacy.** Attributes carry tiers, provider names, outcomes, flags, timings and the
pseudonymous conversation reference: never message content, a user id or a conversation id.
Span exceptions are recorded by type only (an exception message might quote input). The SDK
loggers that log request bodies at DEBUG are held at INFO whatever the root level is.

**Metrics** (names and attributes are a contract with the alert rules and workbook in
``infra/``): ``askeve.chat.requests`` {tier, provider, outcome, crisis, degraded},
``askeve.chat.latency`` ms {tier, crisis}, ``askeve.provider.attempts`` {provider, outcome},
``askeve.provider.latency`` ms {provider}, ``askeve.failovers`` {from_provider, to_provider},
``askeve.breaker.state`` gauge 0 closed / 1 half-open / 2 open {provider},
``askeve.breaker.transitions`` {provider, from_state, to_state}, ``askeve.health.checks``
{provider, result}, ``askeve.escalations`` {audience, channel, result},
``askeve.sla.violations`` {measure}, ``askeve.sla.compliance`` gauge {measure}.

**Spans.** ``chat`` per request (current while the request is handled, so the Durable client
sends its ``traceparent`` to the engine), with a ``tier.attempt`` child per provider call,
started in the activity from the ``traceparent`` that travels in the orchestration input.
Tiers that were skipped (breaker open, not configured, ...) are ``tier.skipped`` events on the
``chat`` span.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.events import ChatRecord
from shared.failover import EMERGENCY
from shared.observability.sla import failover_hops, was_called
from shared.platform import Settings, flag

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Observation
    from opentelemetry.trace import Span

log = logging.getLogger(__name__)

CONNECTION_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
WORKER_SETTING = "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"
EXPORTER_SETTING = "ASKEVE_OTEL_EXPORTER"
SCOPE = "askeve.gateway"
BREAKER_GAUGE = {"closed": 0, "half_open": 1, "open": 2}
# These SDKs log whole request bodies (the conversation) at DEBUG.
_CONTENT_LOGGERS = ("openai", "anthropic", "httpcore")
_NOISY_LOGGERS = ("azure.core.pipeline.policies.http_logging_policy",)


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    connection_string: str
    worker_configures: bool
    exporter: str

    @classmethod
    def from_settings(cls, settings: Settings) -> TelemetrySettings:
        return cls(
            connection_string=settings.get(CONNECTION_SETTING),
            worker_configures=flag(settings.get(WORKER_SETTING)),
            exporter=settings.get(EXPORTER_SETTING).lower(),
        )

    @property
    def mode(self) -> str:
        """``worker``, ``azure-monitor``, ``console``, ``otlp`` or ``off``."""
        if self.worker_configures:
            return "worker"
        if self.connection_string:
            return "azure-monitor"
        if self.exporter in {"console", "otlp"}:
            return self.exporter
        return "off"


_setup_lock = threading.Lock()
_setup_mode: str | None = None


def setup_soon(settings: Settings) -> None:
    """:func:`setup` without delaying the caller (the first request builds the runtime).

    The Azure Monitor distro takes a few hundred milliseconds to import and configure, which a
    first crisis reply must not wait for. Tracers and meters taken from the API before then
    are proxies that switch to the real providers once they are set, so nothing is lost but
    the telemetry of requests answered in the meantime.
    """
    _hold_content_loggers()
    if TelemetrySettings.from_settings(settings).mode in {"off", "worker"}:
        setup(settings)  # nothing to configure: quick
        return
    threading.Thread(target=setup, args=(settings,), name="telemetry-setup", daemon=True).start()


def setup(settings: Settings) -> str:
    """Configure exporting for this process, once; returns the mode in force."""
    global _setup_mode  # noqa: PLW0603 - providers are process-wide in OpenTelemetry
    with _setup_lock:
        if _setup_mode is not None:
            return _setup_mode
        _hold_content_loggers()
        wanted = TelemetrySettings.from_settings(settings)
        mode = wanted.mode
        try:
            if mode == "azure-monitor":
                _configure_azure_monitor(wanted.connection_string)
            elif mode == "console":
                _configure_console()
            elif mode == "otlp" and not _configure_otlp():
                mode = "off"
        except Exception:  # telemetry must never stop the gateway
            log.exception("telemetry setup failed; continuing without exporting")
            mode = "off"
        _setup_mode = mode
        log.info("telemetry: %s", mode)
        return mode


def _hold_content_loggers() -> None:
    for name in _CONTENT_LOGGERS:
        logger = logging.getLogger(name)
        # Its own level, not the effective one: a root lowered to DEBUG later must not reach it.
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _configure_azure_monitor(connection_string: str) -> None:
    from azure.monitor.opentelemetry import configure_azure_monitor  # noqa: PLC0415 - ~200 ms

    configure_azure_monitor(connection_string=connection_string, logger_name="")


def _configure_console() -> None:
    from opentelemetry import metrics, trace  # noqa: PLC0415
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
    from opentelemetry.sdk.metrics.export import (  # noqa: PLC0415
        ConsoleMetricExporter,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
        BatchSpanProcessor,
        ConsoleSpanExporter,
    )

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(ConsoleMetricExporter(), export_interval_millis=60_000)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))


def _configure_otlp() -> bool:
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # noqa: PLC0415
            OTLPMetricExporter,
        )
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )
    except ImportError:
        log.warning("ASKEVE_OTEL_EXPORTER=otlp needs opentelemetry-exporter-otlp-proto-http")
        return False
    from opentelemetry import metrics, trace  # noqa: PLC0415
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return True


# --- instruments -----------------------------------------------------------------------------

GaugeSource = Callable[[], Mapping[str, float]]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Instruments:
    """The instruments of one meter provider. Gauges read whichever sources were set last."""

    def __init__(self, meter_provider: Any) -> None:
        meter = meter_provider.get_meter(SCOPE)
        self.requests = meter.create_counter(
            "askeve.chat.requests", unit="{request}", description="Answered chat requests"
        )
        self.chat_latency = meter.create_histogram(
            "askeve.chat.latency", unit="ms", description="End-to-end chat latency"
        )
        self.attempts = meter.create_counter(
            "askeve.provider.attempts", unit="{attempt}", description="Tier attempts by outcome"
        )
        self.provider_latency = meter.create_histogram(
            "askeve.provider.latency", unit="ms", description="Provider call latency"
        )
        self.failovers = meter.create_counter(
            "askeve.failovers", unit="{failover}", description="Moves from one tier to the next"
        )
        self.transitions = meter.create_counter(
            "askeve.breaker.transitions", unit="{transition}", description="Breaker changes"
        )
        self.health = meter.create_counter(
            "askeve.health.checks", unit="{check}", description="Provider health checks"
        )
        self.escalations = meter.create_counter(
            "askeve.escalations", unit="{delivery}", description="Escalation deliveries"
        )
        self.violations = meter.create_counter(
            "askeve.sla.violations", unit="{violation}", description="SLA violations"
        )
        self._breaker_states: GaugeSource = dict
        self._compliance: GaugeSource = dict
        meter.create_observable_gauge(
            "askeve.breaker.state",
            callbacks=[self._observe_breakers],
            description="Breaker state: 0 closed, 1 half-open, 2 open",
        )
        meter.create_observable_gauge(
            "askeve.sla.compliance",
            callbacks=[self._observe_compliance],
            description="Share of requests that met each SLA measure (rolling window)",
        )

    def use_sources(self, breaker_states: GaugeSource, compliance: GaugeSource) -> None:
        self._breaker_states = breaker_states
        self._compliance = compliance

    def _observe_breakers(self, options: CallbackOptions) -> list[Observation]:
        return _observations(self._breaker_states, "provider")

    def _observe_compliance(self, options: CallbackOptions) -> list[Observation]:
        return _observations(self._compliance, "measure")


def _observations(source: GaugeSource, key: str) -> list[Observation]:
    from opentelemetry.metrics import Observation  # noqa: PLC0415

    try:
        values = source()
    except Exception:  # a gauge read must never break the exporter
        log.warning("gauge source failed for %s", key, exc_info=True)
        return []
    return [Observation(value, {key: name}) for name, value in sorted(values.items())]


_instruments: dict[int, tuple[Any, Instruments]] = {}
_instruments_lock = threading.Lock()


def instruments_for(meter_provider: Any) -> Instruments:
    """One set of instruments per meter provider: registering gauges twice would double them."""
    with _instruments_lock:
        found = _instruments.get(id(meter_provider))
        if found is None or found[0] is not meter_provider:
            found = (meter_provider, Instruments(meter_provider))
            _instruments[id(meter_provider)] = found
        return found[1]


# --- the telemetry of one runtime ------------------------------------------------------------

_chat_span: ContextVar[Span | None] = ContextVar("askeve_chat_span", default=None)


class AttemptSpan:
    """The handle of a ``tier.attempt`` span: the activity reports the outcome through it."""

    def __init__(self, span: Span) -> None:
        self._span = span

    def outcome(self, outcome: str) -> None:
        self._span.set_attribute("outcome", outcome)


class Telemetry:
    """Spans and metrics, from the given providers (the global ones by default)."""

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        from opentelemetry import metrics, trace  # noqa: PLC0415 - lazy: cold start

        self._tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(SCOPE)
        self._instruments = instruments_for(meter_provider or metrics.get_meter_provider())

    def use_gauge_sources(self, breaker_states: GaugeSource, compliance: GaugeSource) -> None:
        self._instruments.use_sources(breaker_states, compliance)

    # --- spans ------------------------------------------------------------------------------

    @contextmanager
    def chat_span(self) -> Iterator[Span]:
        """The ``chat`` span, current for the request (so trace context reaches the engine)."""
        from opentelemetry import trace  # noqa: PLC0415

        parent = trace.get_current_span().get_span_context()
        kind = trace.SpanKind.INTERNAL if parent.is_valid else trace.SpanKind.SERVER
        with self._tracer.start_as_current_span(
            "chat", kind=kind, record_exception=False, set_status_on_exception=False
        ) as span:
            token = _chat_span.set(span)
            try:
                yield span
            except BaseException as exc:
                _mark_failed(span, exc)
                raise
            finally:
                _chat_span.reset(token)

    @contextmanager
    def attempt_span(
        self, carrier: Mapping[str, str] | None, *, provider: str, tier: int | None
    ) -> Iterator[AttemptSpan]:
        """A ``tier.attempt`` span, a child of the request's ``chat`` span when ``carrier``
        holds its ``traceparent``."""
        from opentelemetry import trace  # noqa: PLC0415
        from opentelemetry.trace.propagation.tracecontext import (  # noqa: PLC0415
            TraceContextTextMapPropagator,
        )

        context = TraceContextTextMapPropagator().extract(dict(carrier or {}))
        attributes = {"provider": provider, "tier": _text(tier if tier is not None else "")}
        with self._tracer.start_as_current_span(
            "tier.attempt",
            context=context,
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield AttemptSpan(span)
            except BaseException as exc:
                _mark_failed(span, exc)
                raise

    # --- metrics ----------------------------------------------------------------------------

    def chat_completed(self, record: ChatRecord, outcome: str) -> None:
        ins = self._instruments
        crisis = _text(record.crisis)
        ins.requests.add(
            1,
            {
                "tier": _text(record.tier),
                "provider": record.provider,
                "outcome": outcome,
                "crisis": crisis,
                "degraded": _text(record.degraded),
            },
        )
        ins.chat_latency.record(record.latency_ms, {"tier": _text(record.tier), "crisis": crisis})
        for attempt in record.attempts:
            ins.attempts.add(1, {"provider": attempt.provider, "outcome": attempt.outcome.value})
            if was_called(attempt):
                ins.provider_latency.record(attempt.ms, {"provider": attempt.provider})
        for source, target in failover_hops(record):
            ins.failovers.add(1, {"from_provider": source, "to_provider": target})
        self._annotate_chat_span(record, outcome)

    def _annotate_chat_span(self, record: ChatRecord, outcome: str) -> None:
        span = _chat_span.get()
        if span is None or not span.is_recording():
            return
        attributes: dict[str, str] = {
            "tier": _text(record.tier),
            "provider": record.provider,
            "outcome": outcome,
            "crisis": _text(record.crisis),
            "degraded": _text(record.degraded),
            "latency_ms": f"{record.latency_ms:.1f}",
        }
        if record.conversation_ref is not None:
            attributes["conversation_ref"] = record.conversation_ref
        if record.crisis_category is not None:
            attributes["crisis_category"] = record.crisis_category
        span.set_attributes(attributes)
        for number, attempt in enumerate(record.attempts, start=1):
            if not was_called(attempt):
                span.add_event(
                    "tier.skipped",
                    {
                        "provider": attempt.provider,
                        "outcome": attempt.outcome.value,
                        "tier": _text(number),
                    },
                )
        if record.provider == EMERGENCY and not record.crisis:
            from opentelemetry.trace import StatusCode  # noqa: PLC0415

            span.set_status(StatusCode.ERROR, f"answered by the emergency text ({outcome})")

    def sla_violations(self, measures: tuple[str, ...]) -> None:
        for measure in measures:
            self._instruments.violations.add(1, {"measure": measure})

    def breaker_changed(self, provider: str, old: str, new: str) -> None:
        self._instruments.transitions.add(
            1, {"provider": provider, "from_state": old, "to_state": new}
        )

    def health_checked(self, provider: str, result: str) -> None:
        self._instruments.health.add(1, {"provider": provider, "result": result})

    def escalation_sent(self, audience: str, channel: str, result: str) -> None:
        self._instruments.escalations.add(
            1, {"audience": audience, "channel": channel, "result": result}
        )


def _mark_failed(span: Span, exc: BaseException) -> None:
    from opentelemetry.trace import StatusCode  # noqa: PLC0415

    # The type only: an exception's message may quote the request.
    span.set_status(StatusCode.ERROR, type(exc).__name__)
    span.set_attribute("error.type", type(exc).__name__)


def trace_carrier() -> dict[str, str]:
    """The current trace context as W3C headers (``traceparent``), to send along."""
    from opentelemetry.trace.propagation.tracecontext import (  # noqa: PLC0415
        TraceContextTextMapPropagator,
    )

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier
