"""``make bench``: every figure of issues 9, 14 and 18 (B1a-B11, B13), B12 (the
content-safety check), B14 (the crisis triage), B15 (cold starts) and B16 (the crisis pattern
detector's cost per message; also on its own, without hosts: ``python -m bench.detector``),
measured in one run.

    python -m bench [--quick] [--no-profile] [--only B11] [--out bench/results]

Starts Azurite, a counting proxy in front of it, the simulated providers, a loopback alert
inbox and the dev hosts (each its own process; B11's hosts run the Flex topology, one
process per function group), then measures from this process (the load
generator: asyncio + aiohttp; see bench.loadgen). Writes ``bench-<time>.json`` and ``.md``
(plus ``latest.*``) under the output directory and prints the table. Where a target is
missed, the host that missed it is profiled with py-spy under the same load and the top
entries are added to the report. Exits 0 whatever the figures: it measures, it does not gate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import classifier, detector, figures, loadgen, triage
from bench.figures import Bench, Sizes
from bench.profiling import Profile, profile_lines, profile_while
from bench.stack import REPO, Host, ProbeOptions, Stack, stack
from bench.targets import Figure, markdown_table
from devhost import azurite

TIER_TIMEOUT_S = 1.0
# Nothing in the benchmark should trip a breaker by itself: B2 and B3 need tier 1 to be tried
# on every request, and B4/B5 open breakers explicitly through the operator routes.
NEVER_TRIP = {"failure_threshold": 1_000_000, "ratio_min_calls": 1_000_000}


# The measurements, in the order they run.
STEPS: tuple[Callable[[Bench], Awaitable[list[Figure]]], ...] = (
    figures.added_latency,
    figures.cpu_per_request,
    figures.failover_latency,
    figures.first_token_limit,
    classifier.classifier_cost,
    triage.triage_cost,
    figures.breaker_skip,
    figures.crisis_under_load,
    figures.throughput,
    figures.durable_hops,
    figures.import_time,
    figures.cold_start,
    detector.detector_cost,
)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def start_hosts(
    running: Stack, inbox: dict[str, str], proxied: str, only: set[str] | None = None
) -> dict[str, Host]:
    """The hosts, each its own process with its own breaker table, started in parallel
    (only those named in ``only``, when given)."""

    def plain(poll_ms: str, table: str, **extra: str) -> Callable[[], Host]:
        return lambda: running.start_host(
            POLL_MS=poll_ms, BREAKER_TABLE_NAME=table, **inbox, **extra
        )

    def probe(options: ProbeOptions, table: str, **extra: str) -> Callable[[], Host]:
        return lambda: running.start_probe_host(
            options, POLL_MS="5", BREAKER_TABLE_NAME=table, **inbox, **extra
        )

    specs: dict[str, Callable[[], Host]] = {
        "plain": plain("5", "benchplain"),  # latency comparisons, failover, crisis
        "poll100": plain("100", "benchpoll100"),  # the same with Azure's poll interval
        "open": plain("5", "benchopen"),  # breakers forced open (B3 baseline, B4, B5)
        "probe": probe(ProbeOptions(), "benchprobe"),  # CPU ledger (B1a, B9)
        # The same, on the Durable SDK as shipped (B1a*, B9*).
        "probeshipped": probe(ProbeOptions(sdk_as_shipped=True), "benchprobeshipped"),
        # Throughput, through the counting table proxy (B7, B8).
        "load": plain("5", "benchload", AzureWebJobsStorage=proxied),
        "poll100load": plain("100", "benchload100", AzureWebJobsStorage=proxied),
        "loadshipped": probe(  # B7'': the Durable SDK as shipped
            ProbeOptions(ledger=False, sdk_as_shipped=True),
            "benchloadshipped",
            AzureWebJobsStorage=proxied,
        ),
    }
    for backend, name in figures.HOP_HOSTS.items():  # B11: Flex, hops as in Azure, poll 100 ms
        specs[name] = hop_host(running, inbox, name, figures.HOP_MS[backend])
    if only is not None:
        specs = {name: start for name, start in specs.items() if name in only}
    if not specs:  # a figure that starts hosts of its own (B10, B15)
        return {}
    with ThreadPoolExecutor(len(specs)) as pool:
        futures = {name: pool.submit(start) for name, start in specs.items()}
        return {name: future.result() for name, future in futures.items()}


def hop_host(running: Stack, inbox: dict[str, str], name: str, hop_ms: int) -> Callable[[], Host]:
    """A Flex-topology host whose every Durable hop waits ``hop_ms``, polling as deployed."""
    return lambda: running.start_flex_host(
        POLL_MS=str(figures.AZURE_POLL_MS),
        BREAKER_TABLE_NAME=f"bench{name}",
        DEVHOST_DURABLE_HOP_MS=str(hop_ms),
        **inbox,
    )


# Figures that can be measured on their own (--only), and the hosts each needs.
ONLY: dict[str, tuple[Callable[[Bench], Awaitable[list[Figure]]], set[str]]] = {
    "B1a": (figures.cpu_per_request, {"probe", "probeshipped"}),
    "B11": (figures.durable_hops, set(figures.HOP_HOSTS.values())),
    "B12": (classifier.classifier_cost, {"plain"}),
    "B14": (triage.triage_cost, {"plain"}),
    "B10": (figures.import_time, set()),
    "B15": (figures.cold_start, set()),
    "B16": (detector.detector_cost, set()),
}


async def profiles_for(bench: Bench, missed: set[str]) -> dict[str, Profile]:
    """Profile, under the load that produced it, each host behind a missed target."""
    seconds = bench.sizes.profile_s
    found: dict[str, Profile] = {}

    async def sequential(host: str) -> Any:
        return await loadgen.closed_loop(
            bench.session, lambda _: bench.chat(host), concurrency=1, duration_s=seconds
        )

    async def concurrent(host: str) -> Any:
        return await loadgen.closed_loop(
            bench.session, lambda _: bench.chat(host), concurrency=100, duration_s=seconds
        )

    async def crisis_beside_hung_chats() -> Any:
        for provider in figures.PROVIDERS:
            await bench.fault(provider, kind="hang")
        return await figures.crisis_beside_hung_chats_on(bench, "plain")

    plans: list[tuple[str, set[str], str, Callable[[], Awaitable[Any]]]] = [
        (
            "probe host, sequential chat, providers at 0 ms",
            {"B1a", "B9"},
            "probe",
            lambda: sequential("probe"),
        ),
        (
            "plain host, sequential chat, providers at 0 ms",
            {"B1b", "B2", "B3"},
            "plain",
            lambda: sequential("plain"),
        ),
        (
            "breakers-open host, sequential emergency replies",
            {"B5"},
            "open",
            lambda: sequential("open"),
        ),
        (
            "plain host, crisis messages beside 50 chats hung on every provider",
            {"B6"},
            "plain",
            crisis_beside_hung_chats,
        ),
        (
            "load host, 100 concurrent chat, providers at 0 ms",
            {"B7"},
            "load",
            lambda: concurrent("load"),
        ),
    ]
    for title, ids, host, load in plans:
        if not ids & missed:
            continue
        await bench.reset_sims()
        try:
            profile, _ = await profile_while(bench.hosts[host].pid(), seconds, load())
        except RuntimeError as exc:  # py-spy missing: the figures stand without profiles
            print(f"not profiled: {exc}", flush=True)
            break
        found[title] = profile
    await bench.reset_sims()
    return found


def report(
    results: list[Figure],
    profiles: dict[str, Profile],
    before: dict[str, Any],
    after_load: list[float],
) -> str:
    lines = [
        "# Benchmark",
        "",
        f"{before['at']}; {before['cpus']} CPUs; Python {before['python']}; load average "
        f"{before['load_average']} at the start, {after_load} at the end.",
        "",
        "Dev host with simulated providers on loopback; the load generator is the benchmark "
        "process (asyncio + aiohttp), the hosts, simulators, inbox, table proxy and Azurite "
        "are each their own process. Poll interval 5 ms unless stated.",
        "",
        markdown_table(results),
        "",
    ]
    notes = [f"- **{f.id}**: {f.note}" for f in results if f.note]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    for title, profile in profiles.items():
        lines += [f"## Profile: {title}", "", *profile_lines(profile), ""]
    return "\n".join(lines)


def write_results(out: Path, document: dict[str, Any], text: str) -> str:
    """``bench-<time>`` and ``latest``, as JSON and markdown; the markdown's repo path."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"bench-{stamp}", "latest"):
        (out / f"{name}.json").write_text(json.dumps(document, indent=1))
        (out / f"{name}.md").write_text(text)
    path = out / f"bench-{stamp}.md"
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


async def run(sizes: Sizes, profile: bool, out: Path, only: str | None = None) -> int:
    before = machine()
    chosen = ONLY[only] if only else None
    with stack(tier_timeout_s=TIER_TIMEOUT_S, breaker=NEVER_TRIP) as running:
        proxy = running.start_service(
            "bench.tableproxy", "--target-port", str(running.azurite.port)
        )
        inbox = running.start_service("bench.inbox")
        # Table calls go through the counting proxy; the storage queues go to Azurite itself.
        proxied = azurite.connection_string(
            int(proxy.ready["port"]), queue_port=running.azurite.queue_port
        )
        hosts = start_hosts(
            running, inbox.ready["settings"], proxied, chosen[1] if chosen else None
        )
        async with loadgen.new_session() as session:
            bench = Bench(
                running,
                TIER_TIMEOUT_S,
                hosts,
                f"http://127.0.0.1:{proxy.ready['port']}",
                session,
                sizes,
                host_settings=dict(inbox.ready["settings"]),
            )
            for host in hosts:
                await bench.warm(host)
            results: list[Figure] = []
            for step in (chosen[0],) if chosen else STEPS:
                print(f"measuring: {step.__name__} ...", flush=True)
                results += await step(bench)
            missed = {f.id for f in results if f.met is False}
            profiles = await profiles_for(bench, missed) if profile and missed else {}
    after_load = [round(x, 2) for x in os.getloadavg()]
    text = report(results, profiles, before, after_load)
    document = {
        "machine": {**before, "load_average_end": after_load},
        "figures": [f.to_json() for f in results],
        "profiles": {title: p.to_json() for title, p in profiles.items()},
        "raw": bench.raw,
    }
    written = write_results(out, document, text)
    print(text)
    print(f"written: {written}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy profiles")
    parser.add_argument("--only", choices=sorted(ONLY), help="measure this figure alone")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    return asyncio.run(run(sizes, not args.no_profile, args.out.resolve(), args.only))


if __name__ == "__main__":
    sys.exit(main())
