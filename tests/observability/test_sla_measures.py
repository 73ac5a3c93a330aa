"""The SLA measures: how one answered request is judged, and the rolling windows."""

from __future__ import annotations

from shared.observability.sla import (
    ChatOutcome,
    Measure,
    RollingMeasures,
    Sample,
    chat_outcome,
    failover_hops,
    judge,
    switch_time_ms,
)
from shared.platform.config import SlaConfig
from tests.observability.helpers import (
    ManualClock,
    attempt,
    crisis_record,
    emergency_record,
    failover_record,
    record,
)

SLA = SlaConfig(crisis_response_s=2.0, failover_switch_s=3.0)


def test_outcome_of_an_llm_answer_is_ok() -> None:
    """A request answered by an LLM tier counts as ok."""
    assert chat_outcome(failover_record()) is ChatOutcome.OK


def test_outcome_of_a_crisis_reply_is_crisis() -> None:
    """The pre-approved crisis reply is its own outcome, not the emergency fallback."""
    assert chat_outcome(crisis_record()) is ChatOutcome.CRISIS


def test_outcome_of_emergency_after_trying_tiers_is_emergency() -> None:
    """Every tier tried or skipped, then the emergency text: outcome emergency."""
    assert chat_outcome(emergency_record()) is ChatOutcome.EMERGENCY


def test_outcome_of_emergency_without_any_tier_result_is_error() -> None:
    """No tier result at all means our own machinery failed: outcome error."""
    broken = record(tier=4, provider="emergency", attempts=())
    assert chat_outcome(broken) is ChatOutcome.ERROR


def test_switch_time_is_the_time_spent_on_failed_tiers() -> None:
    """Failover switch time sums the failed attempts before the answering tier."""
    assert switch_time_ms(failover_record(switch_ms=1234.0)) == 1234.0


def test_tier1_answer_has_no_switch_time() -> None:
    """Without a failover there is nothing to measure."""
    assert switch_time_ms(record()) is None


def test_failover_hops_follow_the_route_to_the_emergency_tier() -> None:
    """Each move to the next tier is a hop, ending at emergency when all failed."""
    assert failover_hops(emergency_record()) == (
        ("openai", "azure_openai"),
        ("azure_openai", "anthropic"),
        ("anthropic", "emergency"),
    )


def test_crisis_reply_has_no_failover_hops() -> None:
    """A crisis reply is the intended path, not a failover."""
    assert failover_hops(crisis_record()) == ()


def test_slow_crisis_reply_violates_crisis_reply_time() -> None:
    """A crisis reply over 2 s is a crisis_reply_time violation."""
    samples = judge(crisis_record(latency_ms=2001.0), SLA)
    assert Sample(Measure.CRISIS_REPLY_TIME, ok=False) in samples


def test_slow_switch_violates_failover_switch_time() -> None:
    """A failover that spent more than 3 s on failed tiers violates the switch measure."""
    samples = judge(failover_record(switch_ms=3001.0), SLA)
    assert Sample(Measure.FAILOVER_SWITCH_TIME, ok=False) in samples


def test_emergency_reply_is_an_availability_violation() -> None:
    """The emergency fallback does not count as answered."""
    assert Sample(Measure.AVAILABILITY, ok=False) in judge(emergency_record(), SLA)


def test_compliance_is_the_share_of_good_samples() -> None:
    """Availability compliance is answered over received in the window."""
    clock = ManualClock()
    measures = RollingMeasures(SLA, window_s=60.0, clock=clock)
    for item in (record(), record(), record(), emergency_record()):
        measures.add(item)
    availability = measures.compliance()["availability"]
    assert (availability.total, availability.good, availability.ratio) == (4, 3, 0.75)


def test_samples_leave_the_window() -> None:
    """Samples older than the window no longer count."""
    clock = ManualClock()
    measures = RollingMeasures(SLA, window_s=60.0, clock=clock)
    measures.add(emergency_record())
    clock.advance(61.0)
    measures.add(record())
    assert measures.compliance()["availability"].ratio == 1.0


def test_provider_error_rate_counts_only_real_calls() -> None:
    """Skipped tiers (breaker open) are not calls; timeouts are failures."""
    measures = RollingMeasures(SLA, clock=ManualClock())
    measures.add(emergency_record())
    measures.add(record(attempts=(attempt("openai"),)))
    rates = measures.provider_error_rates()
    assert (rates["openai"].calls, rates["openai"].failures) == (2, 1)
    assert "anthropic" not in rates
