"""The drill's plot as hand-written SVG: latency over time, one dot per request coloured by the
tier that answered, fault phases shaded. No plotting library needed."""

from __future__ import annotations

import math
from html import escape

from bench.loadgen import Sample
from drill.model import DrillResult

WIDTH, HEIGHT = 1000, 460
LEFT, RIGHT, TOP, BOTTOM = 70, 170, 62, 50
Y_MIN_MS, Y_MAX_MS = 5.0, 20_000.0

SERIES: tuple[tuple[str, str], ...] = (
    ("tier 1 (openai)", "#1f77b4"),
    ("tier 2 (azure_openai)", "#ff7f0e"),
    ("tier 3 (anthropic)", "#2ca02c"),
    ("tier 4 (emergency text)", "#d62728"),
    ("crisis reply", "#9467bd"),
    ("invalid / no answer", "#000000"),
)
_PHASE_FILLS = ("#f2f2f2", "#fbe9e7", "#fff3e0", "#ffebee", "#f3e5f5", "#e8f5e9")


def series_of(sample: Sample) -> int:
    """Index into :data:`SERIES` for one request."""
    if not sample.ok:
        return 5
    if sample.crisis:
        return 4
    if sample.tier in (1, 2, 3):
        return sample.tier - 1
    return 3


def _y(ms: float) -> float:
    clamped = min(max(ms, Y_MIN_MS), Y_MAX_MS)
    span = math.log10(Y_MAX_MS) - math.log10(Y_MIN_MS)
    share = (math.log10(clamped) - math.log10(Y_MIN_MS)) / span
    return TOP + (1.0 - share) * (HEIGHT - TOP - BOTTOM)


def render_svg(result: DrillResult) -> str:
    span_s = max(result.ended - result.started, 1e-3)
    plot_w = WIDTH - LEFT - RIGHT

    def x(at: float) -> float:
        return LEFT + (at - result.started) / span_s * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="16" font-size="14" font-weight="bold">'
        "Chaos drill: latency of each request, by the tier that answered</text>",
    ]
    for index, phase in enumerate(result.phases):
        x0, x1 = x(phase.start), x(phase.end)
        fill = _PHASE_FILLS[index % len(_PHASE_FILLS)]
        parts.append(
            f'<rect x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 0.5):.1f}" '
            f'height="{HEIGHT - TOP - BOTTOM}" fill="{fill}"><title>{escape(phase.name)}'
            "</title></rect>"
        )
        parts.append(
            f'<text x="{x0 + 2:.1f}" y="{TOP - 4 - 11 * (index % 3)}" font-size="9">'
            f"{escape(phase.name)}</text>"
        )
    for ms in (10, 100, 1000, 10_000):
        y = _y(ms)
        label = f"{ms / 1000:g} s" if ms >= 1000 else f"{ms} ms"
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#cccccc" stroke-dasharray="3,3"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    step = 10 if span_s > 40 else 5 if span_s > 15 else 2
    for second in range(0, int(span_s) + 1, step):
        xs = x(result.started + second)
        parts.append(
            f'<text x="{xs:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{second}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 12}" text-anchor="middle">'
        "seconds since the drill started</text>"
    )
    parts.append(
        f'<text x="16" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f})">'
        "latency (log scale)</text>"
    )
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{HEIGHT - TOP - BOTTOM}" '
        'fill="none" stroke="#888888"/>'
    )
    for sample in result.samples:
        colour = SERIES[series_of(sample)][1]
        parts.append(
            f'<circle cx="{x(sample.started):.1f}" cy="{_y(sample.ms):.1f}" r="2.2" '
            f'fill="{colour}" fill-opacity="0.8"/>'
        )
    for index, (label, colour) in enumerate(SERIES):
        ly = TOP + 10 + index * 18
        lx = WIDTH - RIGHT + 12
        parts.append(f'<circle cx="{lx}" cy="{ly}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 9}" y="{ly + 4}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
