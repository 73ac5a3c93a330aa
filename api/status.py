"""``GET /api/status`` (an HTML page) and ``GET /api/status.json`` (the same data), for operators.

The operator gate decides who gets in (:mod:`shared.platform.operators`: Entra ID in Azure, the
admin key in a header locally); a key in the URL is refused. The page has no external assets
and no script: inline CSS and an inline SVG latency chart. Its links and its refresh carry only
``?window=``, never a key. ``?window=1h|24h|7d`` picks the history window (default 1 h).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

import azure.functions as func

from api.http import HSTS, to_response
from shared.bootstrap import get_runtime
from shared.platform import ApiError, HttpReply

if TYPE_CHECKING:
    from shared.observability import (
        AlertRow,
        EscalationRow,
        FailoverRow,
        LatencyPoint,
        SlaRow,
        StatusReport,
        TierRow,
        Window,
    )

bp = func.Blueprint()  # type: ignore[no-untyped-call]

_PAGE_HEADERS = {
    **HSTS,
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


async def _report(req: func.HttpRequest) -> StatusReport | HttpReply:
    # The status stack loads with the first status request, not with the app.
    from shared.observability import parse_window  # noqa: PLC0415

    error = get_runtime().operators.check(req.headers, req.params)
    if error is not None:
        return HttpReply(error.status, error.to_body(), {"Cache-Control": "no-store"})
    try:
        window = parse_window(req.params.get("window"))
    except ValueError:
        error = ApiError(400, "window must be 1h, 24h or 7d", "window", "invalid_window")
        return HttpReply(400, error.to_body())
    observed = get_runtime().observability
    observed.tick()
    return await observed.status.report(window)


async def _folded(report: StatusReport) -> int | None:
    """Crisis escalations folded into digests in the report's window, every instance (the
    flood counters in the escalations table); None when unknown."""
    flood = get_runtime().escalator.flood
    if flood is None:
        return 0
    end = report.generated_at
    return await asyncio.to_thread(flood.folded_between, end - report.window.seconds, end)


@bp.route(route="status", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def status_page(req: func.HttpRequest) -> func.HttpResponse:
    report = await _report(req)
    if isinstance(report, HttpReply):
        return to_response(report)
    return func.HttpResponse(
        render_page(report, folded=await _folded(report)),
        status_code=200,
        mimetype="text/html",
        charset="utf-8",
        headers=_PAGE_HEADERS,
    )


@bp.route(route="status.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def status_json(req: func.HttpRequest) -> func.HttpResponse:
    report = await _report(req)
    if isinstance(report, HttpReply):
        return to_response(report)
    body = {**report.to_json(), "folded_escalations": await _folded(report)}
    return to_response(HttpReply(200, body, {"Cache-Control": "no-store"}))


# --- the page --------------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1f;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.6em 0 .4em}
table{border-collapse:collapse;background:#fff;min-width:40em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f3}.num{text-align:right;font-variant-numeric:tabular-nums}
.closed,.ok,.met{color:#17663a;font-weight:600}.open,.bad,.raised{color:#b00020;font-weight:600}
.half_open,.warn{color:#a35a00;font-weight:600}.muted{color:#666}
.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{background:#fff;border:1px solid #ddd;
padding:.5em .8em;min-width:8em}.card b{display:block;font-size:1.3em}
nav a{margin-right:.8em}nav a.current{font-weight:700;text-decoration:none;color:#1d1d1f}
svg{background:#fff;border:1px solid #ddd}
"""


def _time(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _percent(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def _table(table_id: str, headings: Sequence[str], rows: Iterable[str], empty: str) -> str:
    body = "".join(rows)
    if not body:
        return f'<p class="muted" id="{table_id}-empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value: object, css: str = "") -> str:
    # Escaped as well: a class can come from stored state (a breaker's state from its table).
    attr = f' class="{escape(css)}"' if css else ""
    return f"<td{attr}>{escape(str(value))}</td>"


def _tier_row(tier: TierRow) -> str:
    check = tier.last_check
    check_text = "no check yet" if check is None else f"{check.outcome} at {_time(check.at)}"
    if tier.breaker == "n/a":
        check_text = "n/a"  # the emergency tier is configured text: nothing to check
    if check is not None:
        check_text += f" ({check.ms:,.0f} ms)"
    state = tier.breaker + (" (forced)" if tier.forced else "")
    if tier.breaker == "open" and tier.open_until is not None and not tier.forced:
        state += f" until {_time(tier.open_until)}"
    configured = "" if tier.configured else " (not configured)"
    error_rate = None if tier.calls == 0 else tier.failures / tier.calls
    return (
        f'<tr class="tier" data-tier="{escape(str(tier.tier))}" '
        f'data-breaker="{escape(tier.breaker)}">'
        + _cell(tier.tier, "num")
        + _cell(f"{tier.name}{configured}")
        + _cell(tier.region)
        + _cell(state, tier.breaker)
        + _cell(check_text, "" if check is None else ("ok" if check.outcome == "ok" else "bad"))
        + _cell(tier.latency.count, "num")
        + _cell(_ms(tier.latency.p50_ms), "num")
        + _cell(_ms(tier.latency.p95_ms), "num")
        + _cell(f"{tier.failures}/{tier.calls}", "num")
        + _cell(_percent(error_rate, 1), "num")
        + "</tr>"
    )


def _sla_row(row: SlaRow) -> str:
    compliance = row.compliance
    met = compliance is None or compliance >= row.target
    return (
        f'<tr class="sla" data-measure="{escape(row.measure)}">'
        + _cell(row.measure)
        + _cell(row.total, "num")
        + _cell(row.total - row.good, "num")
        + _cell(_percent(compliance, 3), "num " + ("met" if met else "bad"))
        + _cell(_percent(row.target, 1), "num")
        + "</tr>"
    )


def _alert_row(row: AlertRow) -> str:
    return (
        '<tr class="alert">'
        + _cell(_time(row.at))
        + _cell(row.rule)
        + _cell(row.state, row.state)
        + _cell(row.severity)
        + _cell(row.title)
        + "</tr>"
    )


def _failover_row(row: FailoverRow) -> str:
    route = " → ".join(f"{p} {o} ({ms:,.0f} ms)" for p, o, ms in row.route)
    return (
        '<tr class="failover">'
        + _cell(_time(row.at))
        + _cell(route)
        + _cell(f"{row.answered_by} (tier {row.tier})")
        + _cell(_ms(row.switch_ms), "num")
        + "</tr>"
    )


def _outcomes(report: StatusReport) -> str:
    """What nurses recorded on the view behind the alert's link, counted over the window."""
    counts = report.outcome_counts
    text = ", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items())
    return f'<p id="escalation-outcomes">Outcomes recorded by nurses: {escape(text)}.</p>'


def _escalation_row(row: EscalationRow) -> str:
    if row.kind != "crisis":
        ack, css = "not needed", "muted"
    elif row.acknowledged:
        ack, css = "acknowledged", "ok"
    else:
        ack, css = "awaiting acknowledgement" + (" (overdue)" if row.overdue else ""), "bad"
    return (
        f'<tr class="escalation" data-acknowledged="{str(row.acknowledged).lower()}">'
        + _cell(_time(row.started_at))
        + _cell(row.id)
        + _cell(row.kind)
        + _cell(row.audience)
        + _cell(row.category or "-")
        + _cell(", ".join(row.delivered) or "not yet")
        + _cell(ack, css)
        + "</tr>"
    )


_WIDTH, _HEIGHT, _LEFT, _RIGHT, _TOP, _BOTTOM = 720, 240, 64, 16, 16, 36


def render_chart(series: Sequence[LatencyPoint], window: Window) -> str:
    """An inline SVG: p50 and p95 end-to-end latency per bucket of the window."""
    peak = max((p.latency.p95_ms or 0.0 for p in series), default=0.0)
    top = max(peak * 1.1, 100.0)
    span_x = _WIDTH - _LEFT - _RIGHT
    span_y = _HEIGHT - _TOP - _BOTTOM
    step = span_x / max(len(series) - 1, 1)

    def x(index: int) -> float:
        return _LEFT + index * step

    def y(value: float) -> float:
        return _TOP + span_y * (1 - value / top)

    parts = [
        f'<svg id="latency-chart" xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" '
        f'height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-label="End-to-end latency, p50 and p95, last {window.value}">',
        f'<line x1="{_LEFT}" y1="{_TOP + span_y}" x2="{_WIDTH - _RIGHT}" y2="{_TOP + span_y}" '
        'stroke="#999"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + span_y}" stroke="#999"/>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = top * fraction
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end">'
            f"{value:,.0f} ms</text>"
        )
    if series:
        for index, anchor in ((0, "start"), (len(series) - 1, "end")):
            label = datetime.fromtimestamp(series[index].start, UTC).strftime("%d %b %H:%M")
            parts.append(
                f'<text x="{x(index):.1f}" y="{_HEIGHT - 12}" font-size="11" '
                f'text-anchor="{anchor}">{escape(label)}</text>'
            )
    for name, colour, dash in (
        ("p50", "#1f6feb", ""),
        ("p95", "#b00020", ' stroke-dasharray="5 3"'),
    ):
        values = [p.latency.p50_ms if name == "p50" else p.latency.p95_ms for p in series]
        points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if len(points) == 1:
            cx, cy = points[0]
            parts.append(
                f'<circle class="{name}" cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colour}"/>'
            )
        elif points:
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline class="{name}" fill="none" stroke="{colour}" stroke-width="2"'
                f'{dash} points="{coords}"/>'
            )
    parts.append(
        f'<text x="{_WIDTH - _RIGHT}" y="{_TOP + 10}" font-size="11" text-anchor="end">'
        '<tspan fill="#1f6feb">— p50</tspan>  <tspan fill="#b00020">- - p95</tspan></text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _cards(report: StatusReport) -> str:
    totals = report.totals
    cards = [
        ("Requests", f"{totals.requests:,}"),
        ("Availability", _percent(totals.availability, 2)),
        ("p50 / p95", f"{_ms(totals.latency.p50_ms)} / {_ms(totals.latency.p95_ms)}"),
        ("Crisis replies", f"{totals.crisis:,}"),
        ("Crisis replies after a retraction", f"{report.crisis_retractions:,}"),
        ("Emergency replies", f"{totals.emergency + totals.errors:,}"),
        ("Degraded", f"{totals.degraded:,}"),
        ("Open alerts", f"{len(report.open_alerts):,}"),
        ("Awaiting acknowledgement", f"{len(report.awaiting_ack):,}"),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card">{escape(label)}<b>{escape(value)}</b></div>'
            for label, value in cards
        )
        + "</div>"
    )


def _audit(report: StatusReport) -> str:
    audit = report.audit
    if audit is None:
        return '<p class="muted">No audit writer.</p>'
    state = "ok" if audit.storage_ok else f"unavailable ({audit.last_error or 'error'})"
    gap = (
        f'<span class="bad">{audit.kept_in_log:,} records kept in the log instead</span>'
        if audit.kept_in_log
        else '<span class="ok">no gap</span>'
    )
    return (
        f'<p id="audit">Storage {escape(state)}; this instance wrote {audit.written:,} records '
        f"({audit.retried:,} retries, {audit.pending:,} pending); {gap}.</p>"
    )


def _folded_note(folded: int | None) -> str:
    """How many crisis escalations flood control folded into digest cards in the window."""
    if folded is None:
        return '<p id="folded" class="warn">Folded escalations: unknown (table unreadable).</p>'
    css = "bad" if folded else "muted"
    return (
        f'<p id="folded" class="{css}">{folded:,} crisis escalations folded into digest cards '
        "in this window (each is recorded under its digest).</p>"
    )


def render_page(report: StatusReport, *, folded: int | None = 0) -> str:
    """The whole page: tiers, chart, SLA, alerts, failovers, escalations, audit."""
    from shared.observability import Window  # noqa: PLC0415 - see _report

    nav = "".join(
        f'<a href="?window={w.value}"'
        + (' class="current"' if w is report.window else "")
        + f">{'last ' + w.value}</a>"
        for w in Window
    )
    source = (
        "every instance (audit table)"
        if report.source == "audit"
        else "this instance only (audit table unreadable)"
    )
    notes = "".join(f'<p class="warn">{escape(n)}</p>' for n in report.notes)
    tiers = _table(
        "tiers",
        [
            "Tier",
            "Name",
            "Region",
            "Breaker",
            "Last health check",
            "Answered",
            "p50",
            "p95",
            "Failed calls",
            "Error rate",
        ],
        (_tier_row(t) for t in report.tiers),
        "No tiers configured.",
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        # The refresh names its URL: only the window, whatever the request carried.
        f'<meta http-equiv="refresh" content="{report.refresh_s}; url=?window='
        f'{escape(report.window.value)}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>Ask Eve gateway status</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Ask Eve failover gateway</h1>"
        f'<p class="muted">Generated {_time(report.generated_at)}; refreshes every '
        f"{report.refresh_s} s. Figures from {escape(source)}.</p>"
        f"<nav>{nav}</nav>{notes}"
        f"{_cards(report)}"
        f"<h2>Tiers</h2>{tiers}"
        f"<h2>Latency, last {escape(report.window.value)}</h2>"
        f"{render_chart(report.latency_series, report.window)}"
        "<h2>SLA compliance</h2>"
        + _table(
            "sla",
            ["Measure", "Requests", "Violations", "Compliance", "Target"],
            (_sla_row(s) for s in report.sla),
            "No requests.",
        )
        + "<h2>Open alerts</h2>"
        + _table(
            "open-alerts",
            ["Since", "Rule", "State", "Severity", "Alert"],
            (_alert_row(a) for a in report.open_alerts),
            "No open alerts.",
        )
        + "<h2>Escalations</h2>"
        + _folded_note(folded)
        + _table(
            "escalations",
            [
                "Started",
                "Escalation",
                "Kind",
                "Audience",
                "Category",
                "Delivered",
                "Acknowledgement",
            ],
            (_escalation_row(e) for e in report.escalations),
            "No escalations in this window.",
        )
        + _outcomes(report)
        + "<h2>Recent alerts</h2>"
        + _table(
            "alerts",
            ["Time", "Rule", "State", "Severity", "Alert"],
            (_alert_row(a) for a in report.alerts),
            "No alerts in this window.",
        )
        + "<h2>Recent failovers</h2>"
        + _table(
            "failovers",
            ["Time", "Route", "Answered by", "Switch time"],
            (_failover_row(f) for f in report.failovers),
            "No failovers in this window.",
        )
        + f"<h2>Audit trail</h2>{_audit(report)}"
        + "</body></html>"
    )
