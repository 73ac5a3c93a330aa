"""The drill's checks: pure functions of a :class:`~drill.model.DrillResult`."""

from __future__ import annotations

import itertools

from bench.loadgen import Sample
from drill.model import PROVIDERS, Check, DrillResult

# An HTTP round trip on loopback on top of the gateway's own budget.
BUDGET_SLACK_S = 0.25
# A request is admitted (its breaker snapshot taken) some milliseconds after it is sent; one
# sent this close to a breaker's close time may have been admitted after it. A probe is sent
# at least a provider latency (300 ms in the drill) before the close it causes.
ADMISSION_SLACK_S = 0.2
# Requests sent this close to a change of a provider's refusal may fall on either side of it.
REFUSAL_MARGIN_S = 0.5
# Alerts and escalations must reach the inbox within this long of the request that raised them.
DELIVERY_S = 10.0


def answered_within_budget(result: DrillResult) -> Check:
    limit_ms = (result.config.budget_s + BUDGET_SLACK_S) * 1000.0
    bad = [s for s in result.samples if not s.ok]
    late = [s for s in result.samples if s.ok and s.ms > limit_ms]
    worst = max((s.ms for s in result.samples), default=0.0)
    detail = (
        f"{len(result.samples)} requests; {len(bad)} without a valid body, {len(late)} over "
        f"{limit_ms:.0f} ms; slowest {worst:.0f} ms"
    )
    if bad:
        detail += f"; first problem: {bad[0].problem} in '{bad[0].target}'"
    return Check(
        "every request answered with a valid body within its budget",
        bool(result.samples) and not bad and not late,
        detail,
    )


def state_sequence(result: DrillResult, provider: str) -> list[str]:
    """The breaker states seen for ``provider``, with repeats collapsed."""
    seen = [b.state for b in result.breakers if b.provider == provider]
    return [state for state, _ in itertools.groupby(seen)]


def _first_seen(result: DrillResult, provider: str, state: str) -> float | None:
    return next(
        (b.at for b in result.breakers if b.provider == provider and b.state == state), None
    )


def breaker_order(result: DrillResult) -> Check:
    """Each breaker goes closed → open (→ half-open → open)* → closed; tiers open in the order
    their faults start and close in the order they recover (bottom tier first)."""
    problems: list[str] = []
    opened: dict[str, float] = {}
    for provider in PROVIDERS:
        states = state_sequence(result, provider)
        if len(states) < 3 or states[0] != "closed" or states[-1] != "closed":
            problems.append(f"{provider}: saw {'→'.join(states) or 'nothing'}")
            continue
        if "closed" in states[1:-1]:
            problems.append(f"{provider}: closed during its outage ({'→'.join(states)})")
        first_open = _first_seen(result, provider, "open")
        fault = result.fault_started.get(provider)
        if first_open is None or fault is None or first_open < fault:
            problems.append(f"{provider}: opened before its fault began")
        else:
            opened[provider] = first_open
    recovered = [r for r in result.recoveries if r.closed_at is not None]
    for recovery in result.recoveries:
        if recovery.closed_at is None:
            problems.append(f"{recovery.provider}: did not close after its recovery")
        elif recovery.closed_at < recovery.cleared_at:
            problems.append(f"{recovery.provider}: closed before its fault was cleared")
    if list(opened) == list(PROVIDERS) and sorted(opened, key=opened.__getitem__) != list(
        PROVIDERS
    ):
        problems.append("tiers did not open in fault order")
    closes = [r.provider for r in sorted(recovered, key=lambda r: r.closed_at or 0.0)]
    if closes != list(reversed(PROVIDERS)):
        problems.append(f"closed in the order {closes}")
    sequences = "; ".join(f"{p}: {'→'.join(state_sequence(result, p))}" for p in PROVIDERS)
    return Check(
        "breaker transitions happened in the expected order",
        not problems,
        "; ".join(problems) if problems else sequences,
    )


def probes_during_recovery(result: DrillResult, provider: str) -> list[Sample]:
    """Requests that reached ``provider`` after its fault was cleared and before its breaker
    closed: the probes."""
    recovery = next((r for r in result.recoveries if r.provider == provider), None)
    if recovery is None or recovery.closed_at is None:
        return []
    end = recovery.closed_at - ADMISSION_SLACK_S
    return [
        s
        for s in result.samples
        if recovery.cleared_at <= s.started < end and s.attempted(provider)
    ]


def one_probe_per_recovery(result: DrillResult) -> Check:
    counts = {p: len(probes_during_recovery(result, p)) for p in PROVIDERS}
    closed = {r.provider for r in result.recoveries if r.closed_at is not None}
    passed = closed == set(PROVIDERS) and all(c == 1 for c in counts.values())
    return Check(
        "exactly one probe per recovery",
        passed,
        ", ".join(f"{p}: {c}" for p, c in counts.items())
        + ("" if closed == set(PROVIDERS) else f" (recovered: {sorted(closed)})"),
    )


def calls_accounted_for(result: DrillResult) -> Check:
    """Every call a simulated provider received belongs to a reply's attempts: nothing else
    (no retry, no stray health check) reached the providers.

    Calls made while a provider refused connections never reach its counter; requests sent
    within ``REFUSAL_MARGIN_S`` of a refusal window may fall on either side of it.
    """
    problems: list[str] = []
    parts: list[str] = []
    for provider in PROVIDERS:
        bands = [
            (start - REFUSAL_MARGIN_S, end + REFUSAL_MARGIN_S)
            for p, start, end in result.refusals
            if p == provider
        ]
        attempts = [s for s in result.samples if s.attempted(provider)]
        near = sum(1 for s in attempts if any(a <= s.started < b for a, b in bands))
        outside = len(attempts) - near
        received = result.provider_calls.get(provider, 0)
        if not outside <= received <= outside + near:
            problems.append(provider)
        parts.append(
            f"{provider}: {received} received, {outside} in replies"
            + (f" (+{near} while refusing connections)" if near else "")
        )
    return Check("every provider call is accounted for in a reply", not problems, ", ".join(parts))


def deliveries(result: DrillResult) -> Check:
    crises = [s for s in result.samples if s.kind == "crisis"]
    clinical_teams = [d for d in result.deliveries if d.route == "/clinical"]
    clinical_mail = [d for d in result.deliveries if d.route == "nurse-team@localhost"]
    ops_teams = [d for d in result.deliveries if d.route == "/operations"]
    ops_mail = [d for d in result.deliveries if d.route == "operations@localhost"]
    emergency = [s for s in result.samples if s.ok and s.provider == "emergency" and not s.crisis]
    first_emergency = min((s.started for s in emergency), default=None)
    late_ops = first_emergency is not None and not any(
        d.at - first_emergency <= DELIVERY_S for d in ops_teams + ops_mail
    )
    last_crisis = max((s.started for s in crises), default=result.started)
    late_clinical = any(d.at - last_crisis > DELIVERY_S for d in clinical_teams + clinical_mail)
    passed = (
        bool(crises)
        and len(clinical_teams) == len(crises)
        and len(clinical_mail) == len(crises)
        and bool(emergency)
        and bool(ops_teams)
        and bool(ops_mail)
        and not late_ops
        and not late_clinical
    )
    return Check(
        "escalations and alerts delivered to the loopback receivers",
        passed,
        f"{len(crises)} crisis messages → {len(clinical_teams)} Teams cards and "
        f"{len(clinical_mail)} emails to the nurse team; {len(emergency)} emergency replies → "
        f"{len(ops_teams)} Teams and {len(ops_mail)} email alerts to operations",
    )


def failover_switch_s(sample: Sample) -> float:
    """Time spent on tiers that failed before the one that answered."""
    return sum(ms for p, outcome, ms in sample.attempts if outcome != "ok") / 1000.0


def sla(result: DrillResult) -> Check:
    samples = result.samples
    valid = sum(1 for s in samples if s.ok)
    availability = valid / len(samples) if samples else 0.0
    crises = [s for s in samples if s.kind == "crisis"]
    on_time = sum(1 for s in crises if s.ok and s.ms <= result.sla.crisis_response_s * 1000.0)
    crisis_share = on_time / len(crises) if crises else 0.0
    degraded = [s for s in samples if s.ok and s.tier in (2, 3)]
    switch = max((failover_switch_s(s) for s in degraded), default=0.0)
    passed = (
        availability >= result.sla.availability_target
        and crisis_share >= result.sla.crisis_response_target
        and switch <= result.sla.failover_switch_s
    )
    return Check(
        "the SLA figures hold",
        passed,
        f"availability {availability:.2%} (target {result.sla.availability_target:.1%}); "
        f"crisis replies within {result.sla.crisis_response_s:.0f} s: {crisis_share:.1%} "
        f"(target {result.sla.crisis_response_target:.1%}); longest failover switch "
        f"{switch:.2f} s (limit {result.sla.failover_switch_s:.1f} s)",
    )


# A request sent just before a fault may reach the provider after it: not a healthy call.
FAULT_MARGIN_S = 1.0


def healthy_windows(result: DrillResult, provider: str) -> list[tuple[float, float]]:
    """When ``provider`` had no fault: before its first fault (less a margin for requests
    still on their way), and after its recovery."""
    first = result.fault_started.get(provider, result.ended + FAULT_MARGIN_S)
    windows = [(result.started, first - FAULT_MARGIN_S)]
    windows += [(r.cleared_at, result.ended) for r in result.recoveries if r.provider == provider]
    return windows


def healthy_tier_1_kept(result: DrillResult) -> Check:
    """Answers that called a healthy tier 1 (writing at a model's pace) all came from it: a
    slow but working provider is never cut off and failed over. Requests that skipped tier 1
    (its breaker still open just after a recovery) are not counted: tier 1 was not called."""
    provider = PROVIDERS[0]
    windows = healthy_windows(result, provider)
    called = [
        s
        for s in result.samples
        if not s.crisis and s.attempted(provider) and any(a <= s.started < b for a, b in windows)
    ]
    failed_over = [s for s in called if s.provider != provider]
    share = len(failed_over) / len(called) if called else 0.0
    return Check(
        "answers from a healthy tier 1 never fail over",
        bool(called) and not failed_over,
        f"{len(failed_over)} of {len(called)} requests that called {provider} while it was "
        f"healthy failed over ({share:.1%})",
    )


def run_checks(result: DrillResult) -> list[Check]:
    return [
        answered_within_budget(result),
        breaker_order(result),
        one_probe_per_recovery(result),
        calls_accounted_for(result),
        healthy_tier_1_kept(result),
        deliveries(result),
        sla(result),
    ]
