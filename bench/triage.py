"""B14: what the language-model crisis triage adds to an ordinary answer, and what it costs in
tokens per message.

A host with the triage on (``CRISIS_TRIAGE_ENABLED``; the simulated tier answers it) is
compared side by side with the plain host (the triage off): one request to each in turn, so
whatever else the machine does slows both alike, and the figure is the paired difference.
Tier 1's first token comes after ``ANSWER_FIRST_TOKEN_MS``; the triage answers in
``TRIAGE_MS`` (the simulators' ``~MS`` marker), so the answer takes longer than the triage,
the case the goal (p50 +0 ms) is set for.

The tokens are the simulated tier's counts (about four characters a token) of the real
messages the gateway sends: the shipped system prompt and the delimited user turns. The schema
(about 400 characters) is not counted by the simulator, and a real tokenizer's counts differ by
some tens of percent; the order of magnitude is what B14 shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from openai.types.chat import ChatCompletionMessageParam

from bench.figures import Bench, _failover, _timed
from bench.stack import FUNCTION_KEY
from bench.stats import paired_differences, summarize
from bench.targets import Figure, at_most

ANSWER_FIRST_TOKEN_MS = 400
TRIAGE_MS = 150
# The goal is +0 ms at the median; this is the allowance for a shared machine's noise (B12's
# own row, with nothing to wait for, shows a few ms at p50).
MARGIN_MS = 10.0
QUESTION = (
    "What should I expect at my first chemotherapy appointment for ovarian cancer? "
    f"[triage:none~{TRIAGE_MS}]"
)
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": QUESTION}]


async def _pairs(bench: Bench, count: int) -> tuple[list[float], list[float], list[Any], int]:
    plain = bench.gateway_sdk("plain")
    triaged = bench.gateway_sdk("triage")
    plain_ms: list[float] = []
    triaged_ms: list[float] = []
    reports: list[Any] = []
    failed = 0

    def ask(client: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    try:
        for _ in range(count):
            try:
                ms, _reply = await _timed(ask(plain))
                plain_ms.append(ms)
                ms, reply = await _timed(ask(triaged))
                triaged_ms.append(ms)
                reports.append(_failover(reply))
            except Exception:  # noqa: BLE001 - a failed request is counted, not raised
                failed += 1
                del plain_ms[len(triaged_ms) :]
    finally:
        await plain.close()
        await triaged.close()
    return plain_ms, triaged_ms, reports, failed


async def _counts(bench: Bench) -> dict[str, int]:
    url = f"{bench.hosts['triage'].base_url}/api/health"
    async with bench.session.get(url, headers={"x-functions-key": FUNCTION_KEY}) as reply:
        reply.raise_for_status()
        counts: dict[str, int] = (await reply.json())["triage"]["counts"]
        return counts


async def triage_cost(bench: Bench) -> list[Figure]:
    """B14 (two rows): the added latency on ordinary answers, and the tokens per message."""
    bench.hosts["triage"] = bench.stack.start_host(
        POLL_MS="5", BREAKER_TABLE_NAME="benchtriage", CRISIS_TRIAGE_ENABLED="true"
    )
    await bench.reset_sims()
    await bench.fault("openai", kind="ok", first_token_ms=ANSWER_FIRST_TOKEN_MS)
    await bench.warm("triage")
    await bench.warm("plain")
    try:
        before = await _counts(bench)
        plain_ms, triaged_ms, reports, failed = await _pairs(bench, bench.sizes.pairs)
        after = await _counts(bench)
    finally:
        await bench.reset_sims()
    latency = b14_row(plain_ms, triaged_ms, reports, failed)
    triaged = after["started"] - before["started"]
    tokens_in = after["input_tokens"] - before["input_tokens"]
    tokens_out = after["output_tokens"] - before["output_tokens"]
    per_in = tokens_in / triaged if triaged else float("nan")
    per_out = tokens_out / triaged if triaged else float("nan")
    tokens = Figure(
        "B14t",
        "tokens per triaged message (the shipped prompt and one short message)",
        f"input {per_in:.0f}, output {per_out:.0f} tokens per message ({triaged} triages; "
        "the simulator's estimate, about 4 characters a token, without the schema)",
        "shown, not judged",
        None,
        {"triages": triaged, "input_per_message": per_in, "output_per_message": per_out},
        "Every ordinary message costs one more call to the first permitted tier: this many "
        "tokens on top of the answer's. The prompt is most of it.",
    )
    return [latency, tokens]


def b14_row(
    plain_ms: list[float], triaged_ms: list[float], reports: list[Any], failed: int
) -> Figure:
    """B14's latency row from paired times: met when every answer came from tier 1 and the
    median added is within the margin."""
    added = summarize(paired_differences(triaged_ms, plain_ms))
    answer = summarize(triaged_ms)
    tier_1 = sum(1 for r in reports if r["tier"] == 1 and not r["crisis"])
    every_answer = failed == 0 and tier_1 == len(reports)
    return Figure(
        "B14",
        f"ordinary answer (tier 1's first token at {ANSWER_FIRST_TOKEN_MS} ms), triage on and "
        f"answering in {TRIAGE_MS} ms, vs the triage off",
        f"added: p50 {added.p50:+.1f} ms, p99 {added.p99:+.1f} ms, max {added.max:+.1f} ms "
        f"(n={added.n}); answer p50 {answer.p50:.0f} ms; ordinary answers from tier 1: "
        f"{tier_1} of {len(reports)}; failed: {failed}",
        f"every answer from tier 1; added p50 ≤ +{MARGIN_MS:.0f} ms (goal +0 ms)",
        every_answer and at_most(added.p50, MARGIN_MS),
        {"added": added.to_json(), "answer": answer.to_json(), "tier_1": tier_1},
        "The triage runs beside the chat orchestration and ends before tier 1's answer, so "
        "what it adds is its share of the host's event loop and CPU (building the request, "
        "reading the verdict), not its own time.",
    )
