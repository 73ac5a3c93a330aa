"""The measurements B1a-B11 and B13, each an async function over a running :class:`Bench`.

Every comparison is taken side by side: a gateway request and its baseline alternate, so
whatever else the machine is doing slows both alike, and the figure is the paired difference.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import openai
from openai.types.chat import ChatCompletionMessageParam

from bench import coldstart, loadgen
from bench.imports import measure as import_times
from bench.loadgen import Call, Sample
from bench.stack import ADMIN_KEY, FUNCTION_KEY, SIM_KEY, Host, Stack
from bench.stats import paired_differences, summarize
from bench.targets import Figure, at_least, at_most

QUESTION = "What are the symptoms of ovarian cancer?"
CRISIS = "I can't go on anymore, I want to end my life"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": QUESTION}]
PROVIDERS = ("openai", "azure_openai", "anthropic")
PROVIDER_MS = 200  # the fixed simulated provider latency for latency comparisons

# B11: the delay of one Durable message hop (DEVHOST_DURABLE_HOP_MS), from published figures.
# Azure Storage: "Sequential activity execution: 5 activities per second, per instance"
# (learn.microsoft.com/azure/azure-functions/durable/durable-functions-perf-and-scale,
# Performance targets): 200 ms per activity, which is two hops (work-item queue, then the
# control queue), so 100 ms a hop. Durable Task Scheduler: "roughly five times faster than the
# Azure Storage provider" on sequential activities (learn.microsoft.com/azure/azure-functions/
# durable/durable-task-scheduler/durable-task-scheduler-work-item-throughput): 20 ms a hop.
HOP_MS = {"Azure Storage": 100, "Durable Task Scheduler": 20}
HOP_HOSTS = {"Azure Storage": "hopstorage", "Durable Task Scheduler": "hopdts"}
AZURE_POLL_MS = 100  # ASKEVE_STATUS_POLL_INTERVAL_MS's default, as deployed


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many samples each figure takes (``--quick`` shrinks them)."""

    pairs: int = 100
    pairs_slow_poll: int = 40
    ledger: int = 60
    hang: int = 15
    fail: int = 30
    skip: int = 100
    emergency: int = 200
    crisis: int = 500
    throughput_s: float = 15.0
    steady_rate: float = 50.0
    steady_s: float = 10.0
    profile_s: float = 8.0

    @classmethod
    def quick(cls) -> Sizes:
        return cls(20, 10, 15, 4, 8, 10, 50, 150, 5.0, 50.0, 5.0, 4.0)


@dataclass
class Bench:
    """The running system under measurement and this process's clients."""

    stack: Stack
    tier_timeout_s: float
    hosts: dict[str, Host]
    proxy_url: str
    session: aiohttp.ClientSession
    sizes: Sizes
    raw: dict[str, Any] = field(default_factory=dict)
    host_settings: dict[str, str] = field(default_factory=dict)  # e.g. the alert inbox's

    # --- control ---------------------------------------------------------------------------

    async def fault(self, provider: str, **fault: Any) -> None:
        url = f"{self.stack.sims.control}/_sim/fault"
        async with self.session.post(url, json={"provider": provider, **fault}) as reply:
            reply.raise_for_status()

    async def reset_sims(self) -> None:
        async with self.session.post(f"{self.stack.sims.control}/_sim/reset") as reply:
            reply.raise_for_status()

    async def sim_count(self, provider: str) -> int:
        async with self.session.get(f"{self.stack.sims.control}/_sim/stats") as reply:
            return int((await reply.json())[provider]["requests"])

    async def breaker(self, host: str, provider: str, action: str) -> None:
        url = f"{self.hosts[host].base_url}/api/breakers/{provider}/{action}"
        async with self.session.post(url, headers={"x-functions-key": ADMIN_KEY}) as reply:
            reply.raise_for_status()

    async def json_of(self, url: str, *, post: bool = False) -> dict[str, Any]:
        method = self.session.post if post else self.session.get
        async with method(url) as reply:
            reply.raise_for_status()
            data: dict[str, Any] = await reply.json()
            return data

    def chat(self, host: str, text: str = QUESTION, conversation: str | None = None) -> Call:
        kind = "crisis" if text == CRISIS else "chat"
        return Call(
            f"{self.hosts[host].base_url}/api/chat",
            loadgen.question(text, conversation),
            kind,
            host,
        )

    def calls(self, host: str) -> Callable[[int], Call]:
        """Ordinary chat calls to ``host``, for the load generator."""
        return lambda _: self.chat(host)

    def gateway_sdk(self, host: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url=f"{self.hosts[host].base_url}/api/v1",
            api_key="unused-by-the-gateway",
            default_headers={"x-functions-key": FUNCTION_KEY},
            max_retries=0,
            timeout=30.0,
        )

    def direct_sdk(self, provider: str) -> openai.AsyncOpenAI:
        urls = self.stack.sims.urls
        if provider == "openai":
            return openai.AsyncOpenAI(
                base_url=urls["openai_base_url"], api_key=SIM_KEY, max_retries=0
            )
        return openai.AsyncAzureOpenAI(
            azure_endpoint=urls["azure_endpoint"],
            api_key=SIM_KEY,
            api_version="2024-10-21",
            max_retries=0,
        )

    async def warm(self, host: str, count: int = 20) -> None:
        for _ in range(count):
            sample = await loadgen.send(self.session, self.chat(host))
            assert sample.ok, sample.problem


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await call()
    return (time.perf_counter() - started) * 1000.0, result


def _failover(reply: Any) -> dict[str, Any]:
    extra = reply.model_extra or {}
    data: dict[str, Any] = extra["failover"]
    return data


async def _gateway_vs_direct(
    bench: Bench, host: str, direct_provider: str, pairs: int, expect_provider: str
) -> tuple[list[float], list[float]]:
    """Alternate one direct SDK call and one gateway call, ``pairs`` times."""
    direct = bench.direct_sdk(direct_provider)
    gateway = bench.gateway_sdk(host)
    model = "gpt-4o-mini"
    direct_ms: list[float] = []
    gateway_ms: list[float] = []
    try:
        for _ in range(3):  # connections and SDK caches
            await direct.chat.completions.create(model=model, messages=MESSAGES)
        for _ in range(pairs):
            ms, _ = await _timed(
                lambda: direct.chat.completions.create(model=model, messages=MESSAGES)
            )
            direct_ms.append(ms)
            ms, reply = await _timed(
                lambda: gateway.chat.completions.create(model=model, messages=MESSAGES)
            )
            gateway_ms.append(ms)
            assert _failover(reply)["provider"] == expect_provider, _failover(reply)
    finally:
        await direct.close()
        await gateway.close()
    return direct_ms, gateway_ms


# --- B1a, B1b, B9 ---------------------------------------------------------------------------


async def added_latency(bench: Bench) -> list[Figure]:
    """B1b on a plain host (poll 5 ms) and on a 100 ms-poll host, each request paired with a
    direct SDK call to the same simulated provider."""
    await bench.reset_sims()
    await bench.fault("openai", kind="ok", latency_ms=PROVIDER_MS)
    direct_ms, gateway_ms = await _gateway_vs_direct(
        bench, "plain", "openai", bench.sizes.pairs, "openai"
    )
    slow_direct, slow_gateway = await _gateway_vs_direct(
        bench, "poll100", "openai", bench.sizes.pairs_slow_poll, "openai"
    )
    added = summarize(paired_differences(gateway_ms, direct_ms))
    added_slow = summarize(paired_differences(slow_gateway, slow_direct))
    bench.raw["b1b"] = {"direct_ms": direct_ms, "gateway_ms": gateway_ms}
    return [
        Figure(
            "B1b",
            f"added latency over a direct openai SDK call, provider at {PROVIDER_MS} ms, "
            "poll interval 5 ms",
            f"p50 {added.p50:.1f} ms, p99 {added.p99:.1f} ms "
            f"(direct p50 {summarize(direct_ms).p50:.0f} ms, n={added.n} pairs)",
            "≤ 25 ms p50, ≤ 60 ms p99",
            at_most(added.p50, 25.0) and at_most(added.p99, 60.0),
            {"added": added.to_json(), "direct": summarize(direct_ms).to_json()},
        ),
        Figure(
            "B1b'",
            "the same with the Azure poll interval (100 ms)",
            f"p50 {added_slow.p50:.1f} ms, p99 {added_slow.p99:.1f} ms (n={added_slow.n} pairs)",
            "(for comparison)",
            None,
            {"added": added_slow.to_json()},
            "Polls fall every 100 ms from the start, so the polling alone adds anything from 0 "
            "to one interval, depending on where the answer lands between two polls: with a "
            "provider fixed at 200 ms the second poll lands just before or just after it, so "
            "this figure jumps between runs (about +10 ms or about +100 ms). With real "
            "providers' varying latency, expect half an interval on average.",
        ),
    ]


def _per_request(ledger: dict[str, Any]) -> tuple[dict[str, float], dict[str, float], float]:
    """CPU ms and calls per chat request from a ledger, and our own code's total."""
    # The SDK posts to /api/v1/chat/completions: count every chat trigger.
    chat = [k for k in ledger["calls"] if k.startswith("http:chat")]
    requests = sum(ledger["calls"][k] for k in chat) or 1
    per = {k: v / requests for k, v in ledger["cpu_ms"].items()}
    calls = {k: v / requests for k, v in ledger["calls"].items()}
    handler_own = sum(per[k] for k in chat) - per.get("poll", 0.0)
    activities = sum(v for k, v in per.items() if k.startswith("activity:"))
    return per, calls, handler_own + per.get("replay", 0.0) + activities


def _activity_breakdown(per: dict[str, float]) -> str:
    """``name ms`` for every activity bucket the ledger has, whatever the orchestration calls."""
    parts = [
        f"{bucket.removeprefix('activity:')} {ms:.2f}"
        for bucket, ms in sorted(per.items())
        if bucket.startswith("activity:")
    ]
    return ", ".join(parts) or "no activities"


def _fast_path(ledger: dict[str, Any]) -> str:
    """Whether the host's Durable SDK fast path was in place, as the probe reported it."""
    state = ledger.get("sdk_fast_path")
    return "unknown" if state is None else "on" if state else "off"


async def cpu_per_request(bench: Bench) -> list[Figure]:
    """B1a and B9 from the CPU ledgers of two probe hosts served alternately: the app as it
    is (with its Durable SDK fast path, orchestrators.sdk_fastpath), and the same app on the
    SDK as shipped (bench.hostprobe --sdk-as-shipped), for comparison."""
    await bench.reset_sims()
    await bench.fault("openai", kind="ok", latency_ms=PROVIDER_MS)
    hosts = ("probe", "probeshipped")
    for host in hosts:
        await bench.json_of(bench.hosts[host].probe_url, post=True)
    cpu = {host: -bench.hosts[host].cpu_s() for host in hosts}
    for _ in range(bench.sizes.ledger):
        for host in hosts:
            sample = await loadgen.send(bench.session, bench.chat(host))
            assert sample.ok, sample
    figures: list[Figure] = []
    for host in hosts:
        cpu[host] += bench.hosts[host].cpu_s()
        ledger = await bench.json_of(bench.hosts[host].probe_url)
        bench.raw[f"ledger_{host}"] = ledger
        per, calls, own = _per_request(ledger)
        process_cpu = cpu[host] * 1000.0 / bench.sizes.ledger
        handler = own - per.get("replay", 0.0)
        handler -= sum(v for k, v in per.items() if k.startswith("activity:"))
        breakdown = (
            f"handler {handler:.2f} (of which start_new {per.get('start', 0.0):.2f}), "
            f"replay {per.get('replay', 0.0):.2f}, {_activity_breakdown(per)}; not counted: "
            f"{calls.get('poll', 0.0):.0f} status polls, {per.get('poll', 0.0):.2f} ms"
        )
        shipped = host == "probeshipped"
        mark = "*" if shipped else ""
        label = ", SDK as shipped (fast path off)" if shipped else ""
        fast_path = _fast_path(ledger)
        note = (
            "The same app with its Durable SDK fast path taken out (bench.hostprobe "
            "--sdk-as-shipped): timestamps parsed with dateutil, a namedtuple class built per "
            f"replay. Fast path in this host: {fast_path}."
            if shipped
            else "CPU time (thread_time) of each hand-over from the dev host to the app "
            "(bench.hostprobe); sequential requests, provider at 200 ms. The app's Durable SDK "
            f"fast path (orchestrators.sdk_fastpath) in this host: {fast_path}."
        )
        replay = per.get("replay", math.nan)
        episodes = calls.get("replay", 0.0)
        figures += [
            Figure(
                f"B1a{mark}",
                "CPU in our own code per chat request (handler, replay, activities, adapters)"
                + label,
                f"{own:.2f} ms: {breakdown}; whole host process {process_cpu:.1f} ms",
                "(for comparison)" if shipped else "≤ 2 ms",
                None if shipped else at_most(own, 2.0),
                {
                    "own_ms": own,
                    "per_request_ms": per,
                    "calls": calls,
                    "process_ms": process_cpu,
                    "sdk_fast_path": fast_path,
                },
                note,
            ),
            Figure(
                f"B9{mark}",
                "orchestrator replay CPU per chat request" + label,
                f"{replay:.2f} ms ({episodes:.1f} episodes, "
                f"{replay / max(episodes, 1e-9):.2f} ms each)",
                "(for comparison)" if shipped else "≤ 1 ms",
                None if shipped else at_most(replay, 1.0),
                {"replay_ms": replay, "episodes": episodes, "sdk_fast_path": fast_path},
                ""
                if shipped
                else "CPU of the SDK's orchestrator handle: context JSON in, state "
                "JSON out, replaying the whole history each episode.",
            ),
        ]
    return figures


# --- B2, B3 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Triplets:
    """Alternating: a direct call to tier 2, the gateway with tier 1 failing, and the gateway
    with tier 1's breaker open (so tier 1 is skipped and tier 2 answers)."""

    direct: list[float]
    failing: list[float]
    skipping: list[float]


async def _triplets(bench: Bench, count: int) -> Triplets:
    direct = bench.direct_sdk("azure_openai")
    model = "gpt-4o-mini"
    result = Triplets([], [], [])
    try:
        for _ in range(3):
            await direct.chat.completions.create(model=model, messages=MESSAGES)
        for _ in range(count):
            ms, _ = await _timed(
                lambda: direct.chat.completions.create(model=model, messages=MESSAGES)
            )
            result.direct.append(ms)
            for host, into in (("plain", result.failing), ("open", result.skipping)):
                sample = await loadgen.send(bench.session, bench.chat(host))
                assert sample.ok, sample
                assert sample.provider == "azure_openai", sample
                into.append(sample.ms)
    finally:
        await direct.close()
    return result


async def failover_latency(bench: Bench) -> list[Figure]:
    """B2 (tier 1 hangs) and B3 (tier 1 refuses or answers 503), tier 2 at 200 ms."""
    figures: list[Figure] = []
    timeout_ms = bench.tier_timeout_s * 1000.0
    await bench.reset_sims()
    await bench.breaker("open", "openai", "open")
    await bench.fault("azure_openai", kind="ok", latency_ms=PROVIDER_MS)
    await bench.fault("openai", kind="hang")
    runs = await _triplets(bench, bench.sizes.hang)
    answer = summarize(runs.failing)
    bound = [timeout_ms + d for d in runs.direct]
    margin = summarize(paired_differences(runs.failing, bound))
    cost = summarize(paired_differences(runs.failing, runs.skipping))
    figures.append(
        Figure(
            "B2",
            f"tier 1 hangs → answer from tier 2 (tier timeout {timeout_ms:.0f} ms, "
            f"tier 2 at {PROVIDER_MS} ms)",
            f"answer p50 {answer.p50:.0f} ms, max {answer.max:.0f} ms; minus (tier timeout "
            f"+ paired direct tier-2 call): p50 {margin.p50:+.0f} ms, max {margin.max:+.0f} ms "
            f"(n={answer.n}); cost of trying tier 1 over skipping it: p50 {cost.p50:.0f} ms",
            "≤ tier timeout + tier-2 latency + 25 ms",
            at_most(margin.p50, 25.0),
            {"answer": answer.to_json(), "margin": margin.to_json(), "cost": cost.to_json()},
            "Judged on the median, like B3 and B4 (single samples swing with the machine's "
            "other load); the worst sample is shown too. The hung call ends at the tier's "
            "first-token deadline, counted from the start of the provider activity, so the "
            "time to schedule the activity (tens of ms on the dev host) comes on top of the "
            "tier timeout.",
        )
    )
    for kind, fault in (("refuse", {"kind": "refuse"}), ("503", {"kind": "status", "status": 503})):
        await bench.fault("openai", **fault)
        runs = await _triplets(bench, bench.sizes.fail)
        over = summarize(paired_differences(runs.failing, runs.direct))
        cost = summarize(paired_differences(runs.failing, runs.skipping))
        figures.append(
            Figure(
                "B3",
                f"tier 1 {'refuses connections' if kind == 'refuse' else 'returns 503'} "
                "→ answer from tier 2",
                f"over tier 2 answering through the gateway (tier 1 skipped): p50 "
                f"{cost.p50:.1f} ms, p99 {cost.p99:.1f} ms; over a direct tier-2 SDK call: "
                f"p50 {over.p50:.1f} ms, p99 {over.p99:.1f} ms (n={over.n})",
                "≤ tier-2 latency + 10 ms",
                at_most(cost.p50, 10.0),
                {"over": over.to_json(), "cost": cost.to_json()},
                ""
                if kind != "refuse"
                else "Judged on the median of the first figure: tier-2 latency is tier 2's "
                "answer through the gateway, so the figure is what failing over costs. Against "
                "a direct SDK call the gateway's own overhead (B1b, whose target allows 25 ms) "
                "comes on top, and a 10 ms bound on both together would be stricter than B1b.",
            )
        )
    await bench.reset_sims()
    return figures


# --- B4, B5 ---------------------------------------------------------------------------------


async def breaker_skip(bench: Bench) -> list[Figure]:
    """B4: the 'open' host (tier 1 forced open) next to the plain host (tier 1 healthy),
    both answering from a 200 ms provider; B5: every breaker open on the 'open' host."""
    await bench.reset_sims()
    for provider in ("openai", "azure_openai"):
        await bench.fault(provider, kind="ok", latency_ms=PROVIDER_MS)
    await bench.breaker("open", "openai", "open")
    await bench.warm("open", 5)
    healthy: list[Sample] = []
    skipped: list[Sample] = []
    before = await bench.sim_count("openai")
    for _ in range(bench.sizes.skip):
        healthy.append(await loadgen.send(bench.session, bench.chat("plain")))
        skipped.append(await loadgen.send(bench.session, bench.chat("open")))
    reached = await bench.sim_count("openai") - before
    from_healthy = sum(s.attempted("openai") for s in healthy)
    calls_from_open = reached - from_healthy
    assert all(s.ok and s.provider == "azure_openai" for s in skipped), skipped[0]
    added = summarize(paired_differences([s.ms for s in skipped], [s.ms for s in healthy]))
    b4 = Figure(
        "B4",
        "tier 1's breaker open → added latency of the skip; calls reaching tier 1",
        f"p50 {added.p50:.2f} ms, p99 {added.p99:.1f} ms (n={added.n} pairs); "
        f"{calls_from_open} calls reached tier 1",
        "≤ 1 ms; 0 calls",
        at_most(added.p50, 1.0) and calls_from_open == 0,
        {"added": added.to_json(), "calls_reaching_tier1": calls_from_open},
        "Skip = (tier 1 open, tier 2 at 200 ms) minus (tier 1 at 200 ms), alternating; "
        "judged on the median.",
    )
    for provider in PROVIDERS[1:]:
        await bench.breaker("open", provider, "open")
    await bench.warm("open", 5)
    samples, _ = await loadgen.closed_loop(
        bench.session,
        lambda _: bench.chat("open"),
        concurrency=1,
        count=bench.sizes.emergency,
    )
    assert all(s.ok and s.provider == "emergency" for s in samples), samples[0]
    emergency = summarize([s.ms for s in samples])
    b5 = Figure(
        "B5",
        "all LLM tiers down, breakers open → emergency reply",
        f"p50 {emergency.p50:.1f} ms, p99 {emergency.p99:.1f} ms (n={emergency.n}, sequential)",
        "p99 ≤ 20 ms",
        at_most(emergency.p99, 20.0),
        {"latency": emergency.to_json()},
    )
    return [b4, b5]


# --- B6 -------------------------------------------------------------------------------------


async def crisis_beside_hung_chats_on(bench: Bench, host: str) -> list[Sample]:
    """Crisis messages at 10/s while 50 ordinary chats hang on every provider of ``host``."""
    run = f"{time.time_ns():x}"
    stop = asyncio.Event()

    async def hung_chat() -> None:
        while not stop.is_set():
            await loadgen.send(bench.session, bench.chat(host))

    background = [asyncio.create_task(hung_chat()) for _ in range(50)]
    await asyncio.sleep(2.0 * bench.tier_timeout_s)  # every hung slot is now occupied
    crisis = await loadgen.open_loop(
        bench.session,
        lambda i: bench.chat(host, CRISIS, f"bench-crisis-{run}-{i}"),
        rate_per_s=10.0,
        duration_s=bench.sizes.crisis / 25.0,
    )
    stop.set()
    await asyncio.gather(*background)
    return crisis


async def crisis_under_load(bench: Bench) -> list[Figure]:
    """B6: crisis messages at 10/s while 50 ordinary chats hang on every provider (breakers
    never trip here, so each chat waits out every tier), with 5 ms and 100 ms polling; beside
    it, one at a time, and 50 clients sending nothing but crisis messages back to back."""
    await bench.reset_sims()
    for provider in PROVIDERS:
        await bench.fault(provider, kind="hang")
    run = f"{time.time_ns():x}"
    alone, _ = await loadgen.closed_loop(
        bench.session,
        lambda i: bench.chat("plain", CRISIS, f"bench-alone-{run}-{i}"),
        concurrency=1,
        count=50,
    )
    burst, wall = await loadgen.closed_loop(
        bench.session,
        lambda i: bench.chat("plain", CRISIS, f"bench-burst-{run}-{i}"),
        concurrency=50,
        count=bench.sizes.crisis,
    )
    beside_fast_poll = await crisis_beside_hung_chats_on(bench, "plain")
    beside_slow_poll = await crisis_beside_hung_chats_on(bench, "poll100")
    await bench.reset_sims()
    beside = (
        "crisis reply at 50 concurrent with every provider hung: 50 ordinary chats in flight, "
        "each hung on every provider, and crisis messages among them at 10/s"
    )
    rows = (
        (
            "B6",
            beside_fast_poll,
            f"{beside}, poll 5 ms",
            "p99 ≤ 50 ms",
            "Read as 50 conversations in flight at once, as the target's wording has it; each "
            "crisis message is a new conversation, so each escalates (Teams and email).",
        ),
        ("B6'", beside_slow_poll, f"{beside}, poll 100 ms", "(for comparison)", ""),
        ("B6 alone", alone, "crisis reply, one at a time (measured first)", "(for comparison)", ""),
        (
            "B6 all-crisis",
            burst,
            "50 clients sending only crisis messages back to back (each a new conversation, "
            "so each escalates), every provider hung",
            "(for comparison)",
            f"Closed loop at {len(burst) / wall:.0f} req/s. By Little's law latency = 50 / "
            "throughput here, so a p99 of 50 ms would need 1000 escalations a second: this "
            "row measures the crisis path's capacity, not its latency.",
        ),
    )
    results: list[Figure] = []
    for label, samples, measure, target, note in rows:
        bad = [s for s in samples if not s.ok or not s.crisis]
        latency = summarize([s.ms for s in samples])
        results.append(
            Figure(
                label,
                measure,
                f"p50 {latency.p50:.1f} ms, p99 {latency.p99:.1f} ms (n={latency.n}, "
                f"{len(bad)} bad)",
                target,
                (at_most(latency.p99, 50.0) and not bad) if label == "B6" else None,
                {"latency": latency.to_json(), "bad": len(bad)},
                note,
            )
        )
    return results


# --- B7, B8 ---------------------------------------------------------------------------------


@dataclass
class _Throughput:
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0


def _per_table(counts: dict[str, Any], requests: int) -> str:
    """``table: reads/writes per request`` for every table that saw traffic."""
    parts = []
    for table, kinds in sorted(counts["tables"].items()):
        reads, writes = kinds["read"] / max(requests, 1), kinds["write"] / max(requests, 1)
        parts.append(f"{table} {reads:.3f}/{writes:.3f}")
    return ", ".join(parts) or "no table traffic"


async def throughput(bench: Bench) -> list[Figure]:
    """B7 at 100 concurrent with 0 ms providers: the 5 ms poll host, the 100 ms poll host and
    a host on the Durable SDK as shipped (fast path off), in alternating slices so machine
    noise falls on all three alike;
    B8 from the table proxy over the 5 ms host's slices, and again at a steady rate."""
    await bench.reset_sims()
    proxy_stats = f"{bench.proxy_url}/_proxy/stats"
    runs = (
        ("load", "B7", "poll 5 ms"),
        ("poll100load", "B7'", "poll 100 ms"),
        ("loadshipped", "B7''", "poll 5 ms, SDK as shipped (fast path off)"),
    )
    totals = {host: _Throughput() for host, _, _ in runs}
    tables: dict[str, Any] = {"reads": 0, "writes": 0, "tables": {}}
    for host, _, _ in runs:  # warm up at the same concurrency
        await loadgen.closed_loop(bench.session, bench.calls(host), concurrency=100, duration_s=2.0)
    for _ in range(3):
        for host, _, _ in runs:
            await bench.json_of(f"{bench.proxy_url}/_proxy/reset", post=True)
            cpu_before = bench.hosts[host].cpu_s()
            samples, wall = await loadgen.closed_loop(
                bench.session,
                bench.calls(host),
                concurrency=100,
                duration_s=bench.sizes.throughput_s / 3,
            )
            total = totals[host]
            total.cpu += bench.hosts[host].cpu_s() - cpu_before
            total.samples += samples
            total.wall += wall
            if host == "load":
                _add_counts(tables, await bench.json_of(proxy_stats))
    figures: list[Figure] = []
    for host, label_id, label in runs:
        total = totals[host]
        samples, wall, cpu = total.samples, total.wall, total.cpu
        errors = [s for s in samples if not s.ok]
        degraded = sum(1 for s in samples if s.ok and s.tier != 1)
        rate = len(samples) / wall
        latency = summarize([s.ms for s in samples])
        judged = host == "load"
        figures.append(
            Figure(
                label_id,
                f"throughput at 100 concurrent, 0 ms providers, {label}",
                f"{rate:.0f} req/s, {len(errors)} errors, {degraded} not from tier 1 "
                f"(n={len(samples)} in {wall:.1f} s; "
                f"p50 {latency.p50:.0f} ms, p99 {latency.p99:.0f} ms; host CPU "
                f"{cpu / wall:.0%} of one core, {cpu * 1000 / max(len(samples), 1):.1f} ms/req)",
                "≥ 300 req/s, 0 errors" if judged else "(for comparison)",
                (at_least(rate, 300.0) and not errors) if judged else None,
                {
                    "rate": rate,
                    "errors": len(errors),
                    "not_tier1": degraded,
                    "latency": latency.to_json(),
                    "host_cpu_share": cpu / wall,
                    "host_cpu_ms_per_request": cpu * 1000 / max(len(samples), 1),
                },
                "Three slices per host, alternating. Load generator: this process, asyncio + "
                "one aiohttp session, 100 tasks back to back; the host, simulators and Azurite "
                "are other processes on the same 2 cores."
                if judged
                else "",
            )
        )
    at_load = {"requests": len(totals["load"].samples), "seconds": totals["load"].wall, **tables}
    await bench.json_of(f"{bench.proxy_url}/_proxy/reset", post=True)
    steady = await loadgen.open_loop(
        bench.session,
        bench.calls("load"),
        rate_per_s=bench.sizes.steady_rate,
        duration_s=bench.sizes.steady_s,
    )
    at_rate = {"requests": len(steady), **(await bench.json_of(proxy_stats))}
    reads = at_load["reads"] / max(at_load["requests"], 1)
    writes = at_load["writes"] / max(at_load["requests"], 1)
    steady_reads = at_rate["reads"] / max(at_rate["requests"], 1)
    steady_writes = at_rate["writes"] / max(at_rate["requests"], 1)
    figures.append(
        Figure(
            "B8",
            "Table Storage reads and writes per chat request, steady state (all tables)",
            f"at a steady {bench.sizes.steady_rate:.0f} req/s: {steady_reads:.3f} reads, "
            f"{steady_writes:.3f} writes (per table, reads/writes: "
            f"{_per_table(at_rate, at_rate['requests'])}); at B7's load: {reads:.4f} reads, "
            f"{writes:.4f} writes ({_per_table(at_load, at_load['requests'])})",
            "≤ 0.05 reads, 0 writes",
            at_most(steady_reads, 0.05) and at_rate["writes"] == 0,
            {"at_load": at_load, "steady": at_rate},
            "Judged at the steady rate, over every table. Counted by a proxy in front of "
            "Azurite's table port (bench.tableproxy). The breaker cache reads once per TTL "
            "(1 s), so reads per request are ≤ 0.05 from 20 req/s up. The dev host keeps "
            "Durable state in memory: in Azure the task hub's own queue and table traffic "
            "comes on top.",
        )
    )
    # Only the audit trail writes in transactions (shared/observability/audit.py),
    # so $batch is the audit.
    batch = at_rate["tables"].get("$batch", {"read": 0, "write": 0})
    other_reads = (at_rate["reads"] - batch["read"]) / max(at_rate["requests"], 1)
    other_writes = (at_rate["writes"] - batch["write"]) / max(at_rate["requests"], 1)
    figures.append(
        Figure(
            "B8'",
            "the same without the audit trail (every other table)",
            f"at a steady {bench.sizes.steady_rate:.0f} req/s: {other_reads:.3f} reads, "
            f"{other_writes:.3f} writes; the audit trail: "
            f"{batch['write'] / max(at_rate['requests'], 1):.3f} batched writes per request",
            "(for comparison)",
            None,
            {"reads": other_reads, "writes": other_writes},
            "Every chat request leaves one audit record, which must reach storage; records "
            "of the same day share a table transaction (up to 100 records, 0.25 s linger), "
            "so the audit trail is the only writer per request.",
        )
    )
    return figures


def _add_counts(into: dict[str, Any], counts: dict[str, Any]) -> None:
    into["reads"] += counts["reads"]
    into["writes"] += counts["writes"]
    for table, kinds in counts["tables"].items():
        mine = into["tables"].setdefault(table, {"read": 0, "write": 0, "admin": 0})
        for kind, count in kinds.items():
            mine[kind] += count


# --- B10 ------------------------------------------------------------------------------------


async def import_time(bench: Bench) -> list[Figure]:
    """B10 as shipped (the warm-up on its own thread), and as before cold starts were measured
    (``ASKEVE_WARM_UP=at_import``: the warm-up inside the import), in the same run."""
    before = await asyncio.to_thread(import_times, 3, {"ASKEVE_WARM_UP": "at_import"})
    times = await asyncio.to_thread(import_times, 3)
    top = ", ".join(f"{name} {ms:.0f} ms" for name, ms in times.top)
    before_top = ", ".join(f"{name} {ms:.0f} ms" for name, ms in before.top)
    return [
        Figure(
            "B10",
            "`python -X importtime` of function_app (median of 3 fresh processes)",
            f"{times.total_ms:.0f} ms; top: {top}",
            "≤ 800 ms",
            at_most(times.total_ms, 800.0),
            times.to_json(),
        ),
        Figure(
            "B10 before",
            "the same with `ASKEVE_WARM_UP=at_import` (SDK imports and pattern compilation "
            "inside the import, as before)",
            f"{before.total_ms:.0f} ms; top: {before_top}",
            "(for comparison)",
            None,
            before.to_json(),
        ),
    ]


# --- B15 ------------------------------------------------------------------------------------

COLD_STARTS = 5
B15_CRISIS_MS = 1500.0


async def cold_start(bench: Bench) -> list[Figure]:
    """B15: a fresh dev host process, spawn to the first crisis reply and to the first
    ordinary answer (tier 1 at ``PROVIDER_MS``), 5 cold starts per warm-up mode, alternating."""
    await bench.reset_sims()
    await bench.fault("openai", kind="ok", latency_ms=PROVIDER_MS)
    starts = await asyncio.to_thread(
        coldstart.cold_starts, bench.stack, COLD_STARTS, **bench.host_settings
    )
    await bench.reset_sims()
    bench.raw["B15"] = [s.to_json() for s in starts]
    after = coldstart.summarize(starts, "background")
    before = coldstart.summarize(starts, "at_import")

    def figure(s: coldstart.ColdSummary) -> str:
        return (
            f"crisis reply median {s.median_crisis_ms:.0f} ms (max {s.max_crisis_ms:.0f}); "
            f"first answer median {s.median_answer_ms:.0f} ms (max {s.max_answer_ms:.0f}); "
            f"listening at {s.median_listening_ms:.0f} ms; {s.failed} failed"
        )

    values = {
        mode: {
            "median_crisis_ms": s.median_crisis_ms,
            "max_crisis_ms": s.max_crisis_ms,
            "median_answer_ms": s.median_answer_ms,
            "max_answer_ms": s.max_answer_ms,
            "median_listening_ms": s.median_listening_ms,
            "failed": s.failed,
        }
        for mode, s in (("background", after), ("at_import", before))
    }
    return [
        Figure(
            "B15",
            f"cold start of a fresh dev host process (median and max of {COLD_STARTS}), from "
            f"spawn: first crisis reply; first ordinary answer, tier 1 at {PROVIDER_MS} ms",
            figure(after),
            f"crisis ≤ {B15_CRISIS_MS:.0f} ms; first answer no slower than before",
            after.failed == 0
            and at_most(after.median_crisis_ms, B15_CRISIS_MS)
            and at_most(after.median_answer_ms, before.median_answer_ms),
            values,
            "The crisis message and the question are sent together as soon as the port "
            "accepts; the warm-up thread compiles the crisis patterns first, then imports the "
            "provider SDKs.",
        ),
        Figure(
            "B15 before",
            "the same with `ASKEVE_WARM_UP=at_import` (alternating with the row above)",
            figure(before),
            "(for comparison)",
            None,
            values["at_import"],
        ),
    ]


# --- B13 ------------------------------------------------------------------------------------

# Tier 1 starts answering this long before its first-token limit, then writes at a model's
# pace: the answer is slow but healthy, and must come from tier 1.
B13_EARLY_MS = 100
B13_TOKENS = 120
B13_TOKENS_PER_S = 80.0


async def _streamed_direct(client: openai.AsyncOpenAI) -> str:
    """A direct streamed SDK call that reads the whole answer, as the bot's own would."""
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
    return "".join(parts)


async def first_token_limit(bench: Bench) -> list[Figure]:
    """B13: tier 1 starts writing just inside its first-token limit, then streams a whole
    answer at a model's pace; each gateway request is paired with a direct streamed SDK call
    to the same simulated provider that reads the whole answer."""
    first_token_ms = int(bench.tier_timeout_s * 1000) - B13_EARLY_MS
    await bench.reset_sims()
    await bench.fault(
        "openai",
        kind="ok",
        first_token_ms=first_token_ms,
        tokens_per_s=B13_TOKENS_PER_S,
        answer_tokens=B13_TOKENS,
    )
    direct = bench.direct_sdk("openai")
    gateway = bench.gateway_sdk("plain")
    direct_ms: list[float] = []
    gateway_ms: list[float] = []
    tiers: list[int] = []
    try:
        for _ in range(bench.sizes.hang):
            ms, text = await _timed(lambda: _streamed_direct(direct))
            assert len(text.split()) == B13_TOKENS, "the direct call read the whole answer"
            direct_ms.append(ms)
            ms, reply = await _timed(
                lambda: gateway.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            )
            gateway_ms.append(ms)
            tiers.append(int(_failover(reply)["tier"]))
    finally:
        await direct.close()
        await gateway.close()
        await bench.reset_sims()
    answer = summarize(gateway_ms)
    added = summarize(paired_differences(gateway_ms, direct_ms))
    from_tier_1 = sum(1 for t in tiers if t == 1)
    writing_ms = B13_TOKENS / B13_TOKENS_PER_S * 1000.0
    return [
        Figure(
            "B13",
            f"tier 1's first token {B13_EARLY_MS} ms inside its {bench.tier_timeout_s:.1f} s "
            f"limit, then {B13_TOKENS} tokens at {B13_TOKENS_PER_S:.0f} tokens/s "
            f"(~{first_token_ms + writing_ms:.0f} ms of writing) → the answer",
            f"answer p50 {answer.p50:.0f} ms, max {answer.max:.0f} ms; over a direct streamed "
            f"SDK call reading the whole answer: p50 {added.p50:+.1f} ms, p99 {added.p99:+.1f} ms "
            f"(n={added.n}); answered by tier 1: {from_tier_1} of {len(tiers)}",
            "every answer from tier 1 (the added latency is shown, not judged)",
            from_tier_1 == len(tiers),
            {"answer": answer.to_json(), "added": added.to_json(), "tier_1": from_tier_1},
            "A provider that starts answering just inside the first-token limit is slow, not "
            "dead: the whole answer must come from it, however long it then writes (within "
            "the tier's total). The added latency is the gateway's own cost on a streamed "
            "answer: the activity assembles the stream, then the trigger's next status poll "
            "sees the result. Polls back off to every 5 % of the time already waited, at most "
            "100 ms apart, so an answer that takes seconds is seen about half an interval "
            "(~50 ms) after it is ready.",
        )
    ]


# --- B11 -----------------------------------------------------------------------------------


async def durable_hops(bench: Bench) -> list[Figure]:
    """B11: B1b's pairing (a direct SDK call, then a gateway call) on Flex hosts whose Durable
    hops wait as Azure's backends make them, polling as deployed (100 ms)."""
    await bench.reset_sims()
    await bench.fault("openai", kind="ok", latency_ms=PROVIDER_MS)
    rows: dict[str, Any] = {}
    for backend, host in HOP_HOSTS.items():
        direct_ms, gateway_ms = await _gateway_vs_direct(
            bench, host, "openai", bench.sizes.pairs_slow_poll, "openai"
        )
        rows[backend] = summarize(paired_differences(gateway_ms, direct_ms))
    bench.raw["b11"] = {backend: added.to_json() for backend, added in rows.items()}
    figures = ", ".join(
        f"{backend} ({HOP_MS[backend]} ms a hop): p50 {added.p50:.0f} ms, p99 {added.p99:.0f} ms"
        for backend, added in rows.items()
    )
    n = min(added.n for added in rows.values())
    return [
        Figure(
            "B11",
            f"added latency over a direct openai SDK call, provider at {PROVIDER_MS} ms, Flex "
            f"topology, status poll {AZURE_POLL_MS} ms, every Durable hop delayed by the "
            "published figure of each backend",
            f"{figures} (n={n} pairs each)",
            "(the honest estimate of Azure; for comparison with B1b)",
            None,
            {backend: added.to_json() for backend, added in rows.items()},
            "A chat request that tier 1 answers crosses three Durable hops (start to the "
            "orchestrator, the orchestrator to call_provider, its result back), so the hop "
            "delay alone adds three hops; the trigger then polls every 100 ms (the deployed "
            "interval), which adds up to one more interval, half on average. "
            "The hop figures are derived from published throughput, not latency, figures: "
            "Azure Storage's 5 sequential activities a second per instance "
            "(Durable Functions performance targets) and the Durable Task Scheduler's "
            "'roughly five times faster' on the same kind of orchestration; an idle task hub "
            "on Azure Storage can add up to maxQueuePollingInterval (1 s in host.json) to the "
            "first hop after a quiet period.",
        )
    ]
