"""Telemetry: the askeve.* instruments and the chat and tier.attempt spans, captured in memory."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.trace import StatusCode

from shared.observability import telemetry as telemetry_module
from shared.observability.telemetry import Telemetry, TelemetrySettings, setup, trace_carrier
from shared.platform.settings import Settings
from tests.observability.capture import Captured
from tests.observability.helpers import crisis_record, emergency_record, failover_record


def telemetry(otel: Captured) -> Telemetry:
    return Telemetry(otel.tracer_provider, otel.meter_provider)


def test_chat_request_is_counted_with_the_contract_attributes(otel: Captured) -> None:
    """askeve.chat.requests carries tier, provider, outcome, crisis and degraded."""
    telemetry(otel).chat_completed(failover_record(), "ok")
    assert otel.points()["askeve.chat.requests"] == [
        (
            {
                "tier": "2",
                "provider": "azure_openai",
                "outcome": "ok",
                "crisis": "false",
                "degraded": "true",
            },
            1,
        )
    ]


def test_chat_latency_histogram_is_labelled_by_tier_and_crisis(otel: Captured) -> None:
    """askeve.chat.latency records one value per request with tier and crisis."""
    telemetry(otel).chat_completed(crisis_record(), "crisis")
    assert otel.points()["askeve.chat.latency"] == [({"tier": "4", "crisis": "true"}, 1)]


def test_every_attempt_is_counted_and_only_calls_are_timed(otel: Captured) -> None:
    """Skipped tiers count as attempts with their outcome but add no provider latency."""
    telemetry(otel).chat_completed(emergency_record(), "emergency")
    points = otel.points()
    outcomes = sorted((a["provider"], a["outcome"]) for a, _ in points["askeve.provider.attempts"])
    assert outcomes == [
        ("anthropic", "breaker_open"),
        ("azure_openai", "timeout"),
        ("openai", "unavailable"),
    ]
    timed = sorted(a["provider"] for a, _ in points["askeve.provider.latency"])
    assert timed == ["azure_openai", "openai"]


def test_failovers_are_counted_per_hop(otel: Captured) -> None:
    """askeve.failovers has one point per route step, ending at emergency."""
    telemetry(otel).chat_completed(emergency_record(), "emergency")
    hops = sorted(
        (a["from_provider"], a["to_provider"]) for a, _ in otel.points()["askeve.failovers"]
    )
    assert hops == [
        ("anthropic", "emergency"),
        ("azure_openai", "anthropic"),
        ("openai", "azure_openai"),
    ]


def test_breaker_transition_is_counted(otel: Captured) -> None:
    """askeve.breaker.transitions carries provider, from_state and to_state."""
    telemetry(otel).breaker_changed("openai", "closed", "open")
    assert otel.points()["askeve.breaker.transitions"] == [
        ({"provider": "openai", "from_state": "closed", "to_state": "open"}, 1)
    ]


def test_gauges_report_breaker_state_and_compliance(otel: Captured) -> None:
    """The gauges read their sources at collection time."""
    telemetry(otel).use_gauge_sources(
        lambda: {"openai": 2.0, "anthropic": 0.0}, lambda: {"availability": 0.5}
    )
    points = otel.points()
    assert sorted(points["askeve.breaker.state"], key=str) == sorted(
        [({"provider": "openai"}, 2.0), ({"provider": "anthropic"}, 0.0)], key=str
    )
    assert points["askeve.sla.compliance"] == [({"measure": "availability"}, 0.5)]


def test_health_escalation_and_violation_counters(otel: Captured) -> None:
    """The remaining counters carry their contract attributes."""
    recorder = telemetry(otel)
    recorder.health_checked("openai", "timeout")
    recorder.escalation_sent("clinical", "teams", "delivered")
    recorder.sla_violations(("crisis_reply_time",))
    points = otel.points()
    assert points["askeve.health.checks"] == [({"provider": "openai", "result": "timeout"}, 1)]
    assert points["askeve.escalations"] == [
        ({"audience": "clinical", "channel": "teams", "result": "delivered"}, 1)
    ]
    assert points["askeve.sla.violations"] == [({"measure": "crisis_reply_time"}, 1)]


def test_attempt_span_is_a_child_of_the_chat_span_through_the_carrier(otel: Captured) -> None:
    """The traceparent carried into the activity makes tier.attempt a child of chat."""
    recorder = telemetry(otel)
    with recorder.chat_span():
        carrier = trace_carrier()
    with recorder.attempt_span(carrier, provider="openai", tier=1) as span:
        span.outcome("ok")
    (chat,) = otel.spans("chat")
    (attempt,) = otel.spans("tier.attempt")
    assert attempt.parent is not None
    assert attempt.parent.span_id == chat.context.span_id
    assert attempt.context.trace_id == chat.context.trace_id
    assert dict(attempt.attributes or {}) == {"provider": "openai", "tier": "1", "outcome": "ok"}


def test_chat_span_is_annotated_from_the_record(otel: Captured) -> None:
    """The chat span gets the outcome attributes and a tier.skipped event per skipped tier."""
    recorder = telemetry(otel)
    with recorder.chat_span():
        recorder.chat_completed(emergency_record(), "emergency")
    (chat,) = otel.spans("chat")
    attributes = dict(chat.attributes or {})
    assert attributes["provider"] == "emergency"
    assert attributes["conversation_ref"] == "ref-0123456789abcdef"
    assert [dict(e.attributes or {})["provider"] for e in chat.events] == ["anthropic"]
    assert chat.status.status_code is StatusCode.ERROR


def test_span_failure_records_the_exception_type_only(otel: Captured) -> None:
    """An exception inside the chat span is recorded by type, never by message."""
    recorder = telemetry(otel)
    with pytest.raises(ValueError, match="secret words"), recorder.chat_span():
        raise ValueError("secret words")
    (chat,) = otel.spans("chat")
    assert chat.status.description == "ValueError"
    assert "secret words" not in chat.to_json()


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "off"),
        ({"ASKEVE_OTEL_EXPORTER": "console"}, "console"),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=fake"}, "azure-monitor"),
        (
            {
                "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=fake",
                "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "true",
            },
            "worker",
        ),
    ],
)
def test_exporting_mode_follows_the_settings(env: dict[str, str], mode: str) -> None:
    """Azure Monitor only with a connection string and only if the worker is not doing it."""
    assert TelemetrySettings.from_settings(Settings.from_env(env)).mode == mode


@pytest.fixture
def fresh_setup(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """setup() as in a new process, with Azure Monitor's configure call recorded."""
    calls: list[str] = []
    monkeypatch.setattr(telemetry_module, "_setup_mode", None)
    monkeypatch.setattr(telemetry_module, "_configure_azure_monitor", calls.append)
    return calls


def test_azure_monitor_is_configured_once_with_a_connection_string(fresh_setup: list[str]) -> None:
    """A connection string configures the distro, once per process."""
    settings = Settings.from_env({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x"})
    setup(settings)
    setup(settings)
    assert fresh_setup == ["InstrumentationKey=x"]


def test_azure_monitor_is_left_to_the_worker_when_it_configures(fresh_setup: list[str]) -> None:
    """With the worker's telemetry switched on, the app does not configure it again."""
    settings = Settings.from_env(
        {
            "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x",
            "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "true",
        }
    )
    assert setup(settings) == "worker"
    assert fresh_setup == []


@pytest.mark.safety("H15")
def test_sdk_debug_logs_that_carry_content_are_held_back(fresh_setup: list[str]) -> None:
    """Even with the root logger at DEBUG, the openai SDK logs nothing below INFO."""
    root, sdk = logging.getLogger(), logging.getLogger("openai")
    levels = (root.level, sdk.level)
    root.setLevel(logging.DEBUG)
    sdk.setLevel(logging.NOTSET)
    try:
        setup(Settings.from_env({}))
        assert not sdk.isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(levels[0])
        sdk.setLevel(levels[1])
