"""The drill's markdown report: checks, phases, breaker transitions, probes, deliveries."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bench.stats import summarize
from drill.checks import probes_during_recovery
from drill.model import PROVIDERS, Check, DrillResult


def _t(result: DrillResult, at: float | None) -> str:
    return "-" if at is None else f"{at - result.started:6.1f}"


def phase_rows(result: DrillResult) -> list[str]:
    rows = [
        "| phase | from (s) | to (s) | requests | t1 | t2 | t3 | t4 | crisis | invalid | p50 ms "
        "| p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in result.phases:
        inside = [s for s in result.samples if phase.start <= s.started < phase.end]
        tiers = [
            sum(1 for s in inside if s.ok and not s.crisis and s.tier == t) for t in range(1, 5)
        ]
        crisis = sum(1 for s in inside if s.ok and s.crisis)
        bad = sum(1 for s in inside if not s.ok)
        latency = summarize([s.ms for s in inside])
        rows.append(
            f"| {phase.name} | {_t(result, phase.start)} | {_t(result, phase.end)} | "
            f"{len(inside)} | {' | '.join(map(str, tiers))} | {crisis} | {bad} | "
            f"{latency.p50:.0f} | {latency.p99:.0f} | {latency.max:.0f} |"
        )
    return rows


def transition_rows(result: DrillResult) -> list[str]:
    rows = ["| provider | seen (s) | state | failed probes |", "|---|---|---|---|"]
    for provider in PROVIDERS:
        seen = [b for b in result.breakers if b.provider == provider]
        for state, group in itertools.groupby(seen, key=lambda b: b.state):
            first = next(group)
            rows.append(
                f"| {provider} | {_t(result, first.at)} | {state} | {first.failed_probes} |"
            )
    return rows


def recovery_rows(result: DrillResult) -> list[str]:
    rows = [
        "| provider | fault cleared (s) | breaker closed (s) | probes | probe answered by |",
        "|---|---|---|---|---|",
    ]
    for recovery in result.recoveries:
        probes = probes_during_recovery(result, recovery.provider)
        outcome = ", ".join(
            f"{s.provider} in {s.ms:.0f} ms at {s.started - result.started:.1f} s" for s in probes
        )
        rows.append(
            f"| {recovery.provider} | {_t(result, recovery.cleared_at)} | "
            f"{_t(result, recovery.closed_at)} | {len(probes)} | {outcome or '-'} |"
        )
    return rows


def delivery_rows(result: DrillResult) -> list[str]:
    rows = ["| at (s) | channel | to | title |", "|---|---|---|---|"]
    for delivery in sorted(result.deliveries, key=lambda d: d.at):
        rows.append(
            f"| {_t(result, delivery.at)} | {delivery.channel} | {delivery.route} | "
            f"{delivery.title} |"
        )
    return rows


def render_markdown(result: DrillResult, checks: Sequence[Check], plot_name: str) -> str:
    config = result.config
    passed = all(c.passed for c in checks)
    lines = [
        "# Chaos drill report",
        "",
        f"**{'PASSED' if passed else 'FAILED'}**: {sum(c.passed for c in checks)} of "
        f"{len(checks)} checks passed.",
        "",
        f"{len(result.samples)} requests at {config.rate_per_s:g} req/s over "
        f"{result.ended - result.started:.0f} s; tier timeout {config.tier_timeout_s:g} s, "
        f"budget {config.budget_s:g} s, providers at {config.provider_ms} ms when healthy; "
        f"breakers trip after {config.failure_threshold} failures, break {config.open_s:g} s "
        f"doubling to {config.max_open_s:g} s; status poll {config.poll_ms} ms; dev host "
        f"topology {config.topology.value}"
        + (
            " (HTTP, Durable and each timer in processes of their own)."
            if config.topology.value == "flex"
            else "."
        ),
        "",
        f"![latency over time]({plot_name})",
        "",
        "## Checks",
        "",
        "| check | result | detail |",
        "|---|---|---|",
        *[f"| {c.name} | {'pass' if c.passed else '**FAIL**'} | {c.detail} |" for c in checks],
        "",
        "## Phases",
        "",
        *phase_rows(result),
        "",
        "## Breaker states seen (`GET /api/breakers`)",
        "",
        *transition_rows(result),
        "",
        "## Recoveries and probes",
        "",
        *recovery_rows(result),
        "",
        "## Deliveries to the loopback inbox",
        "",
        *delivery_rows(result),
        "",
    ]
    return "\n".join(lines)
