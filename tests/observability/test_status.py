"""The status report (pure) and the HTML page rendered from it."""

from __future__ import annotations

import pytest

from api.status import render_page
from shared.breakers.rule import Breaker, BreakerState, Reason
from shared.breakers.service import view_of
from shared.models import Outcome
from shared.observability.audit import AuditEvent
from shared.observability.status import (
    ReportInputs,
    StatusReport,
    TierInput,
    Window,
    build_report,
    parse_window,
    percentile,
    summarise_escalations,
)
from shared.operations.health import CheckMode, CheckResult
from shared.platform.config import BreakerSettings, SlaConfig, load_config
from tests.observability.helpers import (
    START,
    crisis_record,
    emergency_record,
    failover_record,
    record,
)

NOW = START + 3000.0
CONFIG = load_config()


def tiers(open_provider: str | None = None) -> list[TierInput]:
    found = []
    for tier in CONFIG.failover.tiers:
        state = Breaker()
        if tier.name == open_provider:
            state = Breaker(
                state=BreakerState.OPEN,
                opened_at=NOW - 10,
                open_until=NOW + 20,
                reason=Reason.CONSECUTIVE_FAILURES,
            )
        view = view_of(tier.name, state, NOW, BreakerSettings(), degraded=False)
        check = CheckResult(tier.name, Outcome.OK, NOW - 30, 120.0, CheckMode.COUNTED, state.state)
        found.append(TierInput(tier, True, view, check))
    return found


def report(records: list, **extra: object) -> StatusReport:  # type: ignore[type-arg]
    inputs = {
        "now": NOW,
        "window": Window.HOUR,
        "records": records,
        "source": "audit",
        "tiers": tiers(),
        "sla": SlaConfig(),
        **extra,
    }
    return build_report(ReportInputs(**inputs))  # type: ignore[arg-type]


def test_percentile_is_nearest_rank() -> None:
    """p50 and p95 of 1..100 are 50 and 95; no values give None."""
    values = [float(v) for v in range(100, 0, -1)]
    assert (percentile(values, 50), percentile(values, 95), percentile([], 50)) == (50, 95, None)


def test_tier_rows_show_breaker_and_last_check() -> None:
    """Each configured tier has a row with its breaker and last health check, then emergency."""
    built = report([], tiers=tiers(open_provider="openai"))
    rows = [(t.tier, t.name, t.breaker) for t in built.tiers]
    assert rows == [
        (1, "openai", "open"),
        (2, "azure_openai", "closed"),
        (3, "azure_openai_secondary", "closed"),
        (4, "anthropic", "closed"),
        (5, "emergency", "n/a"),
    ]
    assert built.tiers[0].last_check is not None
    assert built.tiers[0].last_check.outcome == "ok"


def test_tier_latency_percentiles_cover_requests_it_answered() -> None:
    """p50/p95 per tier come from the requests that tier answered."""
    records = [record(at=NOW - 100 - i, latency_ms=float(ms)) for i, ms in enumerate(range(1, 21))]
    records.append(failover_record(at=NOW - 50))
    row = report(records).tiers[0]
    assert (row.latency.count, row.latency.p50_ms, row.latency.p95_ms) == (20, 10.0, 19.0)


def test_unknown_breaker_when_the_store_is_unreadable() -> None:
    """A tier whose breaker could not be read shows as unknown."""
    unknown = [TierInput(t.config, True, None, None) for t in tiers()]
    assert report([], tiers=unknown).tiers[0].breaker == "unknown"


def test_records_outside_the_window_do_not_count() -> None:
    """The hour window ignores older records."""
    assert report([record(at=NOW - 3700)]).totals.requests == 0


def test_latency_series_has_one_point_per_five_minutes_of_the_hour() -> None:
    """The hour is cut into 12 buckets; a request lands in its bucket."""
    series = report([record(at=NOW - 10, latency_ms=300.0)]).latency_series
    assert len(series) == 12
    assert series[-1].latency.p95_ms == 300.0
    assert series[0].latency.count == 0


def test_sla_rows_are_computed_over_the_window() -> None:
    """Availability compliance is answered over received for the window's requests."""
    built = report([record(at=NOW - 5), emergency_record(at=NOW - 4), crisis_record(at=NOW - 3)])
    availability = {s.measure: s for s in built.sla}["availability"]
    assert (availability.total, availability.good) == (3, 2)


def test_recent_failovers_are_newest_first() -> None:
    """Failovers list the route and the answering tier, newest first."""
    built = report([failover_record(at=NOW - 20), emergency_record(at=NOW - 10), record()])
    assert [(f.answered_by, f.tier) for f in built.failovers] == [
        ("emergency", 4),
        ("azure_openai", 2),
    ]


def alert_event(at: float, state: str, rule: str = "provider-failure") -> AuditEvent:
    return AuditEvent(at, "alert", rule, {"state": state, "severity": "warning", "title": rule})


def test_alert_raised_and_not_resolved_is_open() -> None:
    """An alert whose latest row is 'raised' is open; a resolved one is not."""
    events = [
        alert_event(NOW - 50, "raised"),
        alert_event(NOW - 40, "raised", "crisis-sla-violations"),
        alert_event(NOW - 30, "resolved", "crisis-sla-violations"),
    ]
    built = report([], alert_events=events)
    assert [a.rule for a in built.open_alerts] == ["provider-failure"]
    assert [a.state for a in built.alerts] == ["resolved", "raised", "raised"]


def test_escalation_rows_fold_into_ack_state() -> None:
    """Escalation audit rows become one row each, with delivery and acknowledgement."""
    rows = [
        {"PartitionKey": "esc-1", "RowKey": f"{int(NOW * 1e9):020d}-started", "event": "started",
         "kind": "crisis", "audience": "clinical", "category": "self_harm"},
        {"PartitionKey": "esc-1", "RowKey": f"{int(NOW * 1e9) + 5:020d}-delivered",
         "event": "delivered", "channel": "teams"},
        {"PartitionKey": "esc-2", "RowKey": f"{int(NOW * 1e9):020d}-started", "event": "started",
         "kind": "crisis", "audience": "clinical"},
        {"PartitionKey": "esc-2", "RowKey": f"{int(NOW * 1e9) + 9:020d}-acknowledged",
         "event": "acknowledged"},
        {"PartitionKey": "dedup", "RowKey": "ref-1:self_harm", "since": NOW},
    ]  # fmt: skip
    found = {e.id: e for e in summarise_escalations(rows)}
    assert set(found) == {"esc-1", "esc-2"}
    assert (found["esc-1"].delivered, found["esc-1"].awaiting_ack) == (("teams",), True)
    assert found["esc-2"].acknowledged
    assert report([], escalations=list(found.values())).awaiting_ack == (found["esc-1"],)


def test_conversation_and_pending_rows_are_not_escalations() -> None:
    """The follow-up memory and owed crisis replies share the table; they are not listed."""
    rows = [
        {"PartitionKey": "esc-1", "RowKey": f"{int(NOW * 1e9):020d}-started", "event": "started",
         "kind": "crisis", "audience": "clinical"},
        {"PartitionKey": "conversation", "RowKey": "ref-1", "first_id": "esc-1", "since": NOW},
        {"PartitionKey": "pending-crisis", "RowKey": "ref-2", "category": "self_harm"},
    ]  # fmt: skip
    assert [e.id for e in summarise_escalations(rows)] == ["esc-1"]


def test_unknown_window_is_rejected() -> None:
    """Only 1h, 24h and 7d are windows."""
    assert parse_window(None) is Window.HOUR
    assert parse_window("7d") is Window.WEEK
    with pytest.raises(ValueError, match="30d"):
        parse_window("30d")


def test_json_carries_the_same_sections_as_the_page() -> None:
    """status.json has the tiers, series, SLA, failovers, alerts and escalations."""
    data = report([failover_record(at=NOW - 5)]).to_json()
    assert {
        "tiers", "latency_series", "sla", "recent_failovers", "recent_alerts", "open_alerts",
        "escalations", "unacknowledged_escalations", "audit", "totals", "window", "source",
    } <= set(data)  # fmt: skip
    assert data["tiers"][1]["latency"]["p50_ms"] == 900.0


def test_page_has_a_row_per_tier_and_a_chart() -> None:
    """The HTML has the tier rows and an inline SVG with the latency lines."""
    page = render_page(report([record(at=NOW - 400), record(at=NOW - 10)]))
    assert page.count('<tr class="tier"') == len(CONFIG.failover.tiers) + 1
    assert '<svg id="latency-chart"' in page
    assert '<polyline class="p95"' in page
    assert 'http-equiv="refresh"' in page


def test_page_loads_nothing_from_elsewhere() -> None:
    """No external assets: no src or stylesheet links to another origin."""
    page = render_page(report([record(at=NOW - 10)]))
    assert "src=" not in page
    assert "<link" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_page_escapes_what_it_shows() -> None:
    """A value containing markup is shown as text, not run."""
    events = [alert_event(NOW - 5, "raised", "<script>alert(1)</script>")]
    page = render_page(report([], alert_events=events))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


@pytest.mark.safety("H28")
def test_crisis_replies_followed_by_a_retraction_are_counted_in_the_window() -> None:
    """crisis_retracted audit events inside the window are counted; older ones and other
    events are not; the JSON carries the count."""
    events = [
        AuditEvent(NOW - 60, "event", "crisis_retracted", {"category": "self_harm"}),
        AuditEvent(NOW - 120, "event", "crisis_retracted", {"category": "self_harm"}),
        AuditEvent(NOW - 7200, "event", "crisis_retracted", {"category": "self_harm"}),
        AuditEvent(NOW - 60, "event", "retention_purge", {}),
    ]
    built = report([], retraction_events=events)
    assert built.crisis_retractions == 2
    assert built.to_json()["crisis_retractions"] == 2
    assert "Crisis replies after a retraction" in render_page(built)


@pytest.mark.safety("H03")
def test_outcomes_recorded_by_nurses_are_counted_in_json_and_html() -> None:
    """Each outcome row counts once; every outcome appears, zero or not, in JSON and HTML."""
    rows = [
        {"PartitionKey": "esc-1", "RowKey": f"{NOW * 1e9:020.0f}-started", "event": "started"},
        {
            "PartitionKey": "esc-1",
            "RowKey": "2-outcome",
            "event": "outcome",
            "outcome": "contacted",
        },
        {
            "PartitionKey": "esc-2",
            "RowKey": "1-outcome",
            "event": "outcome",
            "outcome": "contacted",
        },
        {
            "PartitionKey": "esc-2",
            "RowKey": "2-outcome",
            "event": "outcome",
            "outcome": "not_a_crisis",
        },
    ]
    built = report([], escalations=summarise_escalations(rows))
    assert built.to_json()["escalation_outcomes"] == {
        "contacted": 2,
        "could_not_contact": 0,
        "not_a_crisis": 1,
        "handed_to_999": 0,
    }
    assert "contacted: 2, could not contact: 0, not a crisis: 1, handed to 999: 0" in render_page(
        built
    )
