"""The foundation figures: gateway latency next to a direct SDK call, failover after a hang,
and the import time of the function app.

    python -m bench.foundation [--samples 60]

The load generator is this process (sequential requests, one at a time, so that each figure is
a latency, not a queueing effect); the dev host, the simulated providers and Azurite each run in
their own process. Direct and gateway calls alternate, so machine noise affects both alike.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam

from bench.imports import measure as measure_imports
from bench.stack import FUNCTION_KEY, SIM_KEY, stack
from simulators.receivers import SmtpReceiver, WebhookReceiver, receiver_settings

QUESTION: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What are the symptoms of ovarian cancer?"}
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()

    webhook = WebhookReceiver()
    smtp = SmtpReceiver()
    with stack(tier_timeout_s=3.0) as running:
        host = running.start_host(POLL_MS="5", **receiver_settings(webhook, smtp))
        running.sims.fault("openai", kind="ok", latency_ms=200)
        direct = openai.OpenAI(
            base_url=running.sims.urls["openai_base_url"], api_key=SIM_KEY, max_retries=0
        )
        gateway = openai.OpenAI(
            base_url=f"{host.base_url}/api/v1",
            api_key="unused",
            default_headers={"x-functions-key": FUNCTION_KEY},
            max_retries=0,
        )
        for _ in range(5):  # warm both paths: connections, SDK imports, caches
            direct.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
            gateway.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
        direct_ms: list[float] = []
        gateway_ms: list[float] = []
        for _ in range(args.samples):
            started = time.perf_counter()
            direct.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
            direct_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            reply = gateway.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
            gateway_ms.append((time.perf_counter() - started) * 1000)
            assert (reply.model_extra or {})["failover"]["tier"] == 1

        running.sims.fault("openai", kind="hang")
        running.sims.fault("azure_openai", kind="ok", latency_ms=200)
        hang_ms: list[float] = []
        for _ in range(5):
            started = time.perf_counter()
            reply = gateway.chat.completions.create(model="gpt-4o-mini", messages=QUESTION)
            hang_ms.append((time.perf_counter() - started) * 1000)
            assert (reply.model_extra or {})["failover"]["provider"] == "azure_openai"

        crisis_ms, teams_ms, email_ms = crisis_figures(running, gateway, webhook, smtp)
    webhook.stop()
    smtp.stop()

    imports = measure_imports(runs=1)
    print(f"samples: {args.samples} sequential pairs; poll interval 5 ms; provider latency 200 ms")
    print(
        f"direct SDK call:   p50 {statistics.median(direct_ms):7.1f} ms   "
        f"p99 {percentile(direct_ms, 99):7.1f} ms"
    )
    print(
        f"through gateway:   p50 {statistics.median(gateway_ms):7.1f} ms   "
        f"p99 {percentile(gateway_ms, 99):7.1f} ms"
    )
    added = [g - d for g, d in zip(gateway_ms, direct_ms, strict=True)]
    print(
        f"added by gateway:  p50 {statistics.median(added):7.1f} ms   "
        f"p99 {percentile(added, 99):7.1f} ms"
    )
    print(
        f"tier 1 hung (3 s timeout), tier 2 at 200 ms: "
        f"median {statistics.median(hang_ms):.0f} ms, max {max(hang_ms):.0f} ms (n=5)"
    )
    print(
        f"crisis reply, every provider hung: p50 {statistics.median(crisis_ms):.1f} ms, "
        f"p99 {percentile(crisis_ms, 99):.1f} ms (n={len(crisis_ms)}, sequential)"
    )
    print(
        f"crisis request -> delivered: Teams median {statistics.median(teams_ms):.0f} ms "
        f"(max {max(teams_ms):.0f}), email median {statistics.median(email_ms):.0f} ms "
        f"(max {max(email_ms):.0f}) (n={len(teams_ms)})"
    )
    print(
        f"import function_app: {imports.total_ms:.0f} ms; top: "
        + ", ".join(f"{n} {ms:.0f} ms" for n, ms in imports.top)
    )


def crisis_figures(
    running: Any, gateway: openai.OpenAI, webhook: WebhookReceiver, smtp: SmtpReceiver
) -> tuple[list[float], list[float], list[float]]:
    """Crisis reply latency with every provider hung, and request-to-delivery times."""
    for provider in ("openai", "azure_openai", "anthropic"):
        running.sims.fault(provider, kind="hang")
    crisis: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "I don't want to be here anymore, I want to end it all"}
    ]
    reply_ms: list[float] = []
    teams_ms: list[float] = []
    email_ms: list[float] = []
    for index in range(40):
        webhook.clear()
        smtp.clear()
        started = time.perf_counter()
        mono_start = time.monotonic()
        reply = gateway.chat.completions.create(
            model="gpt-4o-mini", messages=crisis, metadata={"conversation_id": f"bench-{index}"}
        )
        reply_ms.append((time.perf_counter() - started) * 1000)
        assert (reply.model_extra or {})["failover"]["crisis"] is True
        if index < 10:  # delivery times: wait for the receivers to get this escalation
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not (webhook.received and smtp.received_at):
                time.sleep(0.002)
            teams_ms.append((webhook.received[0].at - mono_start) * 1000)
            email_ms.append((smtp.received_at[0] - mono_start) * 1000)
    return reply_ms, teams_ms, email_ms


if __name__ == "__main__":
    main()
