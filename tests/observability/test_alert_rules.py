"""The in-app alert rules, driven by a hand-moved clock."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from shared.observability.observer import CONFIG_FILE, parse_observability_config
from shared.observability.sla import (
    ALL_TIERS_DEDUP_KEY,
    MonitorConfig,
    SlaMonitor,
    parse_monitor_config,
)
from shared.platform.config import ConfigError, ConfigReader, SlaConfig
from tests.observability.helpers import (
    ManualClock,
    crisis_record,
    emergency_record,
    failover_record,
    record,
)

TIERS = ("openai", "azure_openai", "anthropic")
SLOW = 2500.0  # over the 2 s crisis reply target


def monitor(clock: ManualClock, config: MonitorConfig | None = None) -> SlaMonitor:
    return SlaMonitor(SlaConfig(), config or MonitorConfig(), TIERS, clock)


def raised(actions: object) -> list[str]:
    return [f"{a.rule}:{a.state}" for a in actions]  # type: ignore[attr-defined]


def slow_crisis(sla: SlaMonitor, clock: ManualClock, count: int, every_s: float) -> list[str]:
    seen: list[str] = []
    for _ in range(count):
        seen += raised(sla.chat_completed(crisis_record(latency_ms=SLOW)).actions)
        clock.advance(every_s)
    return seen


def test_three_crisis_violations_within_ten_minutes_raise_an_alert() -> None:
    """The third slow crisis reply inside 10 minutes raises crisis-sla-violations."""
    clock = ManualClock()
    sla = monitor(clock)
    assert slow_crisis(sla, clock, 3, every_s=240.0) == ["crisis-sla-violations:raised"]


def test_two_crisis_violations_raise_nothing() -> None:
    """Below the threshold there is no alert."""
    clock = ManualClock()
    assert slow_crisis(monitor(clock), clock, 2, every_s=10.0) == []


def test_violations_spread_over_more_than_the_window_raise_nothing() -> None:
    """Three violations 6 minutes apart never have three inside 10 minutes."""
    clock = ManualClock()
    assert slow_crisis(monitor(clock), clock, 3, every_s=360.0) == []


def test_violation_report_names_the_measure() -> None:
    """The evaluation lists the measures a request violated (for askeve.sla.violations)."""
    clock = ManualClock()
    evaluation = monitor(clock).chat_completed(crisis_record(latency_ms=SLOW))
    assert evaluation.violations == ("crisis_reply_time",)


def test_resolved_notice_after_five_quiet_minutes() -> None:
    """Once no violation was seen for 5 minutes, a resolved notice follows."""
    clock = ManualClock()
    sla = monitor(clock)
    slow_crisis(sla, clock, 3, every_s=0.0)
    clock.advance(299.0)
    assert raised(sla.tick()) == []
    clock.advance(1.0)
    assert raised(sla.tick()) == ["crisis-sla-violations:resolved"]


def test_cooldown_holds_back_a_new_alert() -> None:
    """A new burst inside the 5-minute cooldown after an alert raises nothing."""
    clock = ManualClock()
    quick = MonitorConfig(crisis_sla=replace(MonitorConfig().crisis_sla, resolve_after_s=10.0))
    sla = monitor(clock, quick)
    slow_crisis(sla, clock, 3, every_s=0.0)
    clock.advance(11.0)
    assert raised(sla.tick()) == ["crisis-sla-violations:resolved"]
    assert slow_crisis(sla, clock, 3, every_s=0.0) == []


def test_new_burst_after_the_cooldown_raises_again() -> None:
    """After resolution and the cooldown, a new burst raises a new alert."""
    clock = ManualClock()
    sla = monitor(clock)
    slow_crisis(sla, clock, 3, every_s=1.0)
    clock.advance(301.0)
    assert raised(sla.tick()) == ["crisis-sla-violations:resolved"]
    assert slow_crisis(sla, clock, 3, every_s=1.0) == ["crisis-sla-violations:raised"]


def test_breaker_opening_raises_provider_failure() -> None:
    """A breaker going from closed to open raises provider-failure for that provider."""
    clock = ManualClock()
    actions = monitor(clock).breaker_changed("openai", "closed", "open", "consecutive_failures")
    assert [(a.rule, a.subject, a.severity) for a in actions] == [
        ("provider-failure", "openai", "warning")
    ]


def test_failed_probe_reopening_does_not_raise_again() -> None:
    """half_open -> open is the same outage: no second alert."""
    clock = ManualClock()
    sla = monitor(clock)
    sla.breaker_changed("openai", "closed", "open")
    sla.breaker_changed("openai", "open", "half_open")
    assert sla.breaker_changed("openai", "half_open", "open") == []


def test_breaker_closing_resolves_provider_failure() -> None:
    """When the breaker closes again, a resolved notice follows."""
    clock = ManualClock()
    sla = monitor(clock)
    sla.breaker_changed("openai", "closed", "open")
    assert raised(sla.breaker_changed("openai", "half_open", "closed")) == [
        "provider-failure:resolved"
    ]


def test_every_breaker_open_raises_all_tiers_down_as_critical() -> None:
    """With every LLM tier's breaker open, all-tiers-down is raised, critical."""
    clock = ManualClock()
    sla = monitor(clock)
    sla.breaker_changed("openai", "closed", "open")
    sla.breaker_changed("azure_openai", "closed", "open")
    actions = sla.breaker_changed("anthropic", "closed", "open")
    down = [a for a in actions if a.rule == "all-tiers-down"]
    assert [(a.state, a.severity, a.dedup_key) for a in down] == [
        ("raised", "critical", ALL_TIERS_DEDUP_KEY)
    ]


def test_emergency_reply_raises_all_tiers_down() -> None:
    """An ordinary request answered by the emergency text raises all-tiers-down."""
    clock = ManualClock()
    actions = monitor(clock).chat_completed(emergency_record()).actions
    assert "all-tiers-down:raised" in raised(actions)


def test_llm_answer_resolves_all_tiers_down() -> None:
    """The next LLM answer resolves all-tiers-down."""
    clock = ManualClock()
    sla = monitor(clock)
    sla.chat_completed(emergency_record())
    clock.advance(5.0)
    assert raised(sla.chat_completed(failover_record()).actions) == ["all-tiers-down:resolved"]


def test_crisis_reply_does_not_raise_all_tiers_down() -> None:
    """The crisis reply comes from tier 4 by design; it is not an outage."""
    clock = ManualClock()
    assert raised(monitor(clock).chat_completed(crisis_record()).actions) == []


def test_error_rate_needs_the_minimum_number_of_requests() -> None:
    """Errors among fewer than 20 requests raise nothing, whatever the share."""
    clock = ManualClock()
    sla = monitor(clock)
    broken = record(tier=4, provider="emergency", attempts=())
    seen = [raised(sla.chat_completed(broken).actions) for _ in range(19)]
    assert all("error-rate:raised" not in s for s in seen)


def test_error_rate_above_threshold_raises() -> None:
    """More than 5% of 20 requests ending in error raises error-rate."""
    clock = ManualClock()
    sla = monitor(clock)
    broken = record(tier=4, provider="emergency", attempts=())
    seen: list[str] = []
    for item in [record()] * 18 + [broken, broken]:
        seen += raised(sla.chat_completed(item).actions)
    assert "error-rate:raised" in seen


def test_open_alerts_list_what_is_raised() -> None:
    """The monitor lists its open alerts for the status page."""
    clock = ManualClock()
    sla = monitor(clock)
    sla.breaker_changed("anthropic", "closed", "open")
    assert [(a.rule, a.subject) for a in sla.snapshot().open_alerts] == [
        ("provider-failure", "anthropic")
    ]


def test_alert_facts_carry_no_conversation_reference() -> None:
    """Alert facts are rule-level: names, counts and times, never a conversation."""
    clock = ManualClock()
    sla = monitor(clock)
    seen = []
    for _ in range(3):
        seen += sla.chat_completed(crisis_record(latency_ms=SLOW)).actions
    assert "ref-0123456789abcdef" not in json.dumps([a.facts for a in seen])


def test_repo_config_file_parses_to_the_defaults() -> None:
    """config/observability-config.json holds the seed's numbers (the coded defaults)."""
    from shared.platform.config import DEFAULT_CONFIG_DIR  # noqa: PLC0415

    data = json.loads((DEFAULT_CONFIG_DIR / CONFIG_FILE).read_text())
    assert parse_observability_config(data).monitor == MonitorConfig()


def test_unknown_measure_is_rejected_with_its_path() -> None:
    """A typo in the watched measures fails loudly and names the field."""
    data = {"alerts": {"crisis-sla-violations": {"measures": ["crisis_reply"]}}}
    with pytest.raises(ConfigError, match=r"alerts\.crisis-sla-violations\.measures"):
        parse_monitor_config(ConfigReader(data, ""))
