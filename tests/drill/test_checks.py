"""The drill's checks, on hand-built results: each one passes a clean run and catches its fault."""

from __future__ import annotations

from dataclasses import replace

from bench.loadgen import Sample
from drill import checks
from drill.model import BreakerObservation, Check, Recovery
from drill.plot import render_svg
from drill.report import render_markdown
from tests.drill.results import T0, chat, clean_result, with_samples


def test_a_clean_run_passes_every_check() -> None:
    """The reference result meets every check, so each failure below is caused by its change."""
    assert [c.name for c in checks.run_checks(clean_result()) if not c.passed] == []


def test_an_error_status_fails_the_answer_check() -> None:
    """A request answered with a 500 is not a valid answer."""
    broken = Sample(T0 + 5.0, 30.0, 500, "chat", "", problem="HTTP 500")
    assert not checks.answered_within_budget(with_samples(clean_result(), broken)).passed


def test_an_answer_over_the_budget_fails_the_answer_check() -> None:
    """A valid body that arrives after the budget still fails."""
    late = chat(5.0, 1, ("openai", "ok", 9000.0), ms=9000.0)
    assert not checks.answered_within_budget(with_samples(clean_result(), late)).passed


def test_two_requests_reaching_a_recovering_tier_fail_the_probe_check() -> None:
    """A second call to the tier before its breaker closed is a thundering herd."""
    second = chat(50.6, 3, ("anthropic", "ok", 100.0))
    result = with_samples(clean_result(), second)
    assert not checks.one_probe_per_recovery(result).passed


def test_a_request_sent_as_the_breaker_closes_is_not_a_probe() -> None:
    """A call sent within the admission slack of the close was admitted after it."""
    after = chat(52.0 - checks.ADMISSION_SLACK_S / 2, 3, ("anthropic", "ok", 100.0))
    assert checks.one_probe_per_recovery(with_samples(clean_result(), after)).passed


def test_a_breaker_that_never_closes_fails_the_order_and_probe_checks() -> None:
    """A tier still open at the end fails both checks."""
    result = clean_result()
    recoveries = tuple(
        Recovery(r.provider, r.cleared_at, None) if r.provider == "openai" else r
        for r in result.recoveries
    )
    stuck = replace(
        result,
        recoveries=recoveries,
        breakers=tuple(
            b for b in result.breakers if not (b.provider == "openai" and b.at > T0 + 60)
        ),
    )
    assert not checks.breaker_order(stuck).passed
    assert not checks.one_probe_per_recovery(stuck).passed


def test_a_breaker_opening_before_its_fault_fails_the_order_check() -> None:
    """A trip with nothing wrong is a bug, not resilience."""
    result = clean_result()
    early = BreakerObservation(T0 + 5.0, "anthropic", "open", 0, T0 + 5.0)
    breakers = tuple(sorted((*result.breakers, early), key=lambda b: b.at))
    assert not checks.breaker_order(replace(result, breakers=breakers)).passed


def test_an_unexplained_provider_call_fails_the_accounting_check() -> None:
    """A provider call that no reply reports (a retry, a stray probe) is caught."""
    result = replace(
        clean_result(), provider_calls={"openai": 4, "azure_openai": 2, "anthropic": 1}
    )
    assert not checks.calls_accounted_for(result).passed


def test_calls_during_a_refusal_may_go_uncounted() -> None:
    """Refused connections never reach the simulator, so they are not missing calls."""
    result = replace(
        clean_result(),
        provider_calls={"openai": 3, "azure_openai": 2, "anthropic": 0},
        refusals=(("anthropic", T0 + 50.0, T0 + 51.0),),
    )
    assert checks.calls_accounted_for(result).passed


def test_a_missing_nurse_email_fails_the_delivery_check() -> None:
    """Every crisis escalation must reach both channels."""
    result = clean_result()
    deliveries = tuple(d for d in result.deliveries if d.route != "nurse-team@localhost")
    assert not checks.deliveries(replace(result, deliveries=deliveries)).passed


def test_a_slow_crisis_reply_fails_the_sla_check() -> None:
    """A crisis reply slower than the SLA's crisis_response_s breaks the SLA."""
    slow = Sample(T0 + 41.0, 2500.0, 200, "crisis", "", 4, "emergency", True)
    assert not checks.sla(with_samples(clean_result(), slow)).passed


def test_a_slow_failover_switch_fails_the_sla_check() -> None:
    """Time lost on failed tiers beyond failover_switch_s breaks the SLA."""
    slow = chat(
        13.0,
        3,
        ("openai", "timeout", 2000.0),
        ("azure_openai", "timeout", 1500.0),
        ("anthropic", "ok", 100.0),
        ms=3700.0,
    )
    assert not checks.sla(with_samples(clean_result(), slow)).passed


def test_the_plot_has_one_dot_per_request_and_a_band_per_phase() -> None:
    """The SVG shows every request and shades every phase."""
    result = clean_result()
    svg = render_svg(result)
    legend_dots = 6
    assert svg.count("<circle") == len(result.samples) + legend_dots
    assert all(f"<title>{p.name}</title>" in svg for p in result.phases)


def test_the_report_states_the_verdict() -> None:
    """The markdown report opens with pass or fail."""
    result = clean_result()
    failed = [Check("x", False, "because")]
    assert "**FAILED**" in render_markdown(result, failed, "latency.svg")
    assert "**PASSED**" in render_markdown(result, checks.run_checks(result), "latency.svg")
