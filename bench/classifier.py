"""B12: what the content-safety check adds to an ordinary answer, and what a hung or failing
check adds.

A host with the classifier on (pointed at the simulated Content Safety endpoint, its own
process) is compared side by side with the plain host (the classifier off): one request to
each in turn, so whatever else the machine does slows both alike, and the figure is the paired
difference. Tier 1 answers in ``PROVIDER_MS`` (200 ms) throughout.

1. The check answers in 100 ms (about the real service's pace for a short message).
2. The check hangs: the answer waits the grace (150 ms) and goes out.
3. The check answers 500: the answer must not fail.

The classifier's breaker is set never to open here, so every request meets the fault (in
production it opens after three failed checks, and later requests skip the check).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from bench.figures import MESSAGES, PROVIDER_MS, Bench, _failover, _timed
from bench.stack import SIM_KEY
from bench.stats import paired_differences, summarize
from bench.targets import Figure, at_most

CHECK_MS = 100
GRACE_MS = 150.0  # the shipped grace_ms in config/safety-config.json
NEVER_OPEN = {"failure_threshold": 1_000_000}
# The median is judged: a paired difference's tail carries the machine's noise (B12's own row,
# with nothing to wait for, shows tens of ms at p99 on a shared 2-core machine).
MARGIN_MS = 25.0


def _never_open_classifier_breaker(bench: Bench) -> None:
    path = bench.stack.config_dir / "safety-config.json"
    data = json.loads(path.read_text())
    data["classifier"]["breaker"] = NEVER_OPEN
    path.write_text(json.dumps(data))


async def _pairs(
    bench: Bench, count: int
) -> tuple[list[float], list[float], list[dict[str, Any]], int]:
    """``count`` alternating requests to the plain host and the classifier host: their times,
    the classifier host's failover objects, and how many requests failed on either."""
    plain = bench.gateway_sdk("plain")
    checked = bench.gateway_sdk("classifier")
    plain_ms: list[float] = []
    checked_ms: list[float] = []
    reports: list[dict[str, Any]] = []
    failed = 0

    def ask(client: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    try:
        for _ in range(count):
            try:
                ms, _reply = await _timed(ask(plain))
                plain_ms.append(ms)
                ms, reply = await _timed(ask(checked))
                checked_ms.append(ms)
                reports.append(_failover(reply))
            except Exception:  # noqa: BLE001 - a failed request is counted, not raised
                failed += 1
                del plain_ms[len(checked_ms) :]
    finally:
        await plain.close()
        await checked.close()
    return plain_ms, checked_ms, reports, failed


async def _control(bench: Bench, url: str, **body: Any) -> None:
    async with bench.session.post(url, json=body) as reply:
        reply.raise_for_status()


async def classifier_cost(bench: Bench) -> list[Figure]:
    """B12 (three rows): the check at 100 ms, hung, and failing."""
    _never_open_classifier_breaker(bench)
    service = bench.stack.start_service("simulators.content_safety", "--latency-ms", str(CHECK_MS))
    control = str(service.ready["control_url"])
    bench.hosts["classifier"] = bench.stack.start_host(
        POLL_MS="5",
        BREAKER_TABLE_NAME="benchclassifier",
        CONTENT_SAFETY_ENDPOINT=str(service.ready["endpoint"]),
        CONTENT_SAFETY_KEY=SIM_KEY,
    )
    await bench.reset_sims()
    await bench.fault("openai", kind="ok", latency_ms=PROVIDER_MS)
    await bench.warm("classifier")
    try:
        ordinary = await _pairs(bench, bench.sizes.pairs)
        await _control(bench, control, fault="hang")
        hung = await _pairs(bench, bench.sizes.hang)
        await _control(bench, control, fault="500")
        failing = await _pairs(bench, bench.sizes.fail)
    finally:
        await _control(bench, control, fault=None)
        await bench.reset_sims()
    return [
        b12_row("B12", f"ordinary answer, check on, answering in {CHECK_MS} ms", ordinary, None),
        b12_row("B12h", "ordinary answer, check hung", hung, GRACE_MS + MARGIN_MS),
        b12_row("B12f", "ordinary answer, check failing (500)", failing, GRACE_MS + MARGIN_MS),
    ]


def b12_row(
    figure_id: str,
    measure: str,
    pairs: tuple[list[float], list[float], list[dict[str, Any]], int],
    limit_ms: float | None,
) -> Figure:
    plain_ms, checked_ms, reports, failed = pairs
    added = summarize(paired_differences(checked_ms, plain_ms))
    answer = summarize(checked_ms)
    tier_1 = sum(1 for r in reports if r["tier"] == 1 and not r["crisis"])
    figure = (
        f"added over the check off: p50 {added.p50:+.1f} ms, p99 {added.p99:+.1f} ms, "
        f"max {added.max:+.1f} ms (n={added.n}); answer p50 {answer.p50:.0f} ms; "
        f"ordinary answers from tier 1: {tier_1} of {len(reports)}; failed: {failed}"
    )
    values = {
        "added": added.to_json(),
        "answer": answer.to_json(),
        "tier_1": tier_1,
        "failed": failed,
    }
    every_answer = failed == 0 and tier_1 == len(reports)
    if limit_ms is None:
        return Figure(
            figure_id,
            f"{measure} (tier 1 at {PROVIDER_MS} ms), vs the check off",
            figure,
            "every answer from tier 1 (the added latency is shown, not judged)",
            every_answer,
            values,
            "The check runs beside the chat orchestration and finishes before tier 1's "
            "answer, so what it adds is its share of the host's event loop and CPU (the "
            "request to the service, its JSON), not its 100 ms.",
        )
    return Figure(
        figure_id,
        f"{measure} (tier 1 at {PROVIDER_MS} ms), vs the check off",
        figure,
        f"no answer fails; added p50 ≤ grace {GRACE_MS:.0f} ms + {MARGIN_MS:.0f} ms",
        every_answer and at_most(added.p50, limit_ms),
        values,
        "The answer waits at most the grace for a check that has not answered, then goes "
        "out; the check carries on in the background until its own 2 s timeout. A check that "
        "fails fast (500) adds nothing like the grace. The median is judged: the tail of a "
        "paired difference carries the machine's noise, as B12's own row (nothing to wait "
        "for) shows.",
    )
