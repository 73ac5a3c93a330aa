"""``make soak``: two dev hosts share one Azurite for ten minutes, with faults.

    python -m bench.soak [--minutes 10] [--rate 10] [--topology flex] [--out bench/results]

Each host runs in the Flex topology (one process per function group: HTTP, Durable, each
timer; ``--topology single`` for one process each), so the Durable engine is reached over
its HTTP API and breaker outcomes are written from the Durable process, as in Azure.

The load generator (this process; asyncio + aiohttp, open loop) alternates requests between
the two hosts at a fixed rate. Every ``cycle_s`` tier 1 fails for ``fault_s`` (503s, then a
hang, in turn) and then recovers. It checks that no request failed, that a trip made by one
host reaches the other's chat path within the breaker cache TTL (1 s), that each recovery
window sent exactly one probe across both hosts, and that the hosts' memory stays flat.
Writes ``soak-<time>.json`` and ``.md`` and exits 1 if a check fails.

Trip and close times come from the breakers table itself, read from this process every
100 ms: ``GET /api/breakers`` re-reads the table and refreshes the answering host's cache,
so calling it often would hide the very delay being measured. Each host's route is still
called, every ``VIEW_INTERVAL_S`` and staggered, to show what operators see.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench import loadgen
from bench.loadgen import Call, Sample
from bench.stack import ADMIN_KEY, REPO, Host, ProbeOptions, Stack, stack
from bench.stats import summarize
from devhost.topology import Topology
from shared.breakers.store import StoreUnavailableError, TableBreakerStore
from shared.platform.settings import Settings
from shared.platform.storage import table_client

TIER_TIMEOUT_S = 1.0
OPEN_S = 3.0
MAX_OPEN_S = 6.0
CACHE_TTL_S = 1.0
# A request is admitted some milliseconds after it is sent; a probe is sent at least a
# provider latency before the close it causes, so the slack stays below that latency.
PROVIDER_MS = 200
ADMISSION_SLACK_S = 0.15
# A request sent this close to the end of a break may be admitted after it, as its probe.
PROBE_MARGIN_S = 0.5
MEMORY_GROWTH_LIMIT = 0.10  # of the RSS once the dev host's instance store is full
MEMORY_GROWTH_FLOOR_KB = 15_000
VIEW_INTERVAL_S = 5.0
TABLE_INTERVAL_S = 0.1
MAX_FINISHED = 500  # the dev host's retained finished instances (its default is 10 000)


@dataclass
class Soak:
    running: Stack
    hosts: list[Host]
    session: aiohttp.ClientSession
    rate: float
    duration_s: float
    cycle_s: float
    fault_s: float
    started: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    views: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)  # at, host, view
    # (seen at, state, opened_at, changed_at) of tier 1's breaker, from the table itself
    table: list[tuple[float, str, float | None, float | None]] = field(default_factory=list)
    faults: list[tuple[str, float, float]] = field(default_factory=list)  # kind, start, cleared
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # at, host, kB
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def fault(self, **fault: Any) -> None:
        url = f"{self.running.sims.control}/_sim/fault"
        body = {"provider": "openai", **fault}
        async with self.session.post(url, json=body) as reply:
            reply.raise_for_status()

    def call(self, index: int) -> Call:
        host = index % len(self.hosts)
        return Call(
            f"{self.hosts[host].base_url}/api/chat",
            loadgen.question("How is ovarian cancer diagnosed?"),
            "chat",
            str(host),
        )

    async def traffic(self) -> None:
        self.samples = await loadgen.open_loop(
            self.session, self.call, rate_per_s=self.rate, duration_s=self.duration_s
        )
        self.stop.set()

    async def schedule(self) -> None:
        cycle = 0
        while not self.stop.is_set():
            begin = self.started + cycle * self.cycle_s
            await self._until(begin + (self.cycle_s - self.fault_s) / 2)
            if self.stop.is_set():
                return
            kind = "503" if cycle % 2 == 0 else "hang"
            start = time.time()
            if kind == "503":
                await self.fault(kind="status", status=503)
            else:
                await self.fault(kind="hang")
            await self._until(start + self.fault_s)
            await self.fault(kind="ok", latency_ms=PROVIDER_MS)
            self.faults.append((kind, start, time.time()))
            cycle += 1

    async def _until(self, at: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), max(0.0, at - time.time()))

    async def monitor(self) -> None:
        """Each host's ``GET /api/breakers``, seldom and staggered (see the module doc)."""
        turn = 0
        while not self.stop.is_set():
            index = turn % len(self.hosts)
            turn += 1
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(
                    f"{self.hosts[index].base_url}/api/breakers",
                    headers={"x-functions-key": ADMIN_KEY},
                ) as reply:
                    data = await reply.json()
                view = next(b for b in data["breakers"] if b["provider"] == "openai")
                self.views.append((time.time(), index, view))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), VIEW_INTERVAL_S / len(self.hosts))

    async def watch_table(self, connection: str) -> None:
        """Tier 1's breaker as stored, every ``TABLE_INTERVAL_S``, from this process."""
        settings = Settings.from_env({"AzureWebJobsStorage": connection})
        store = TableBreakerStore(table_client(settings, settings.breaker_table))
        while not self.stop.is_set():
            with contextlib.suppress(StoreUnavailableError):
                found = await asyncio.to_thread(store.read_all)
                stored = found.get("openai")
                if stored is not None:
                    state = stored.state
                    self.table.append(
                        (time.time(), state.state.value, state.opened_at, state.changed_at)
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), TABLE_INTERVAL_S)

    async def memory(self) -> None:
        while True:
            for index, host in enumerate(self.hosts):
                self.rss.append((time.time(), index, host.rss_kb()))
            if self.stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 10.0)


def _epoch(text: str | None) -> float | None:
    return None if not text else datetime.fromisoformat(text).timestamp()


def trips(soak: Soak) -> list[float]:
    """Distinct trip times (the breaker's own opened_at) during the run, from the table."""
    found = {opened for _, state, opened, _ in soak.table if state == "open"}
    return sorted(t for t in found if t is not None and t >= soak.started)


def propagation(soak: Soak, trip: float) -> dict[str, float | None]:
    """Per host: how long after ``trip`` its requests still called tier 1, counting requests
    sent before the break could have ended (a probe after it is not a late call); and how
    long until its ``GET /api/breakers`` showed the trip (None: not asked in time)."""
    lags: dict[str, float | None] = {}
    last_send = trip + OPEN_S - PROBE_MARGIN_S
    for index in range(len(soak.hosts)):
        late = [
            s.started - trip
            for s in soak.samples
            if s.target == str(index) and trip <= s.started < last_send and s.attempted("openai")
        ]
        lags[f"host{index}_chat_s"] = max(late, default=0.0)
        seen = [
            at - trip
            for at, host, view in soak.views
            if host == index and trip <= at < last_send and view["state"] != "closed"
        ]
        lags[f"host{index}_view_s"] = min(seen, default=None)
    return lags


def recovery_probes(soak: Soak) -> list[dict[str, Any]]:
    """For each fault window: the calls to tier 1 between clearing the fault and the close."""
    results = []
    for kind, _, cleared in soak.faults:
        closes = [
            changed
            for _, state, _, changed in soak.table
            if state == "closed" and changed is not None
        ]
        closed = next((c for c in closes if c >= cleared - TIER_TIMEOUT_S), None)
        probes: list[Sample] = []
        if closed is not None:
            earliest = cleared - TIER_TIMEOUT_S - 0.5  # a hung probe released by the clearing
            for s in soak.samples:
                if not earliest <= s.started < closed - ADMISSION_SLACK_S:
                    continue
                outcome = next((o for p, o, _ in s.attempts if p == "openai"), "")
                if (s.started >= cleared and s.attempted("openai")) or outcome == "ok":
                    probes.append(s)
        results.append(
            {
                "fault": kind,
                "cleared_s": round(cleared - soak.started, 2),
                "closed_s": None if closed is None else round(closed - soak.started, 2),
                "probes": len(probes),
            }
        )
    return results


def memory_rows(soak: Soak) -> list[dict[str, Any]]:
    rows = []
    quarter = soak.started + soak.duration_s / 4
    for index in range(len(soak.hosts)):
        mine = [(at, kb) for at, host, kb in soak.rss if host == index]
        settled = next((kb for at, kb in mine if at >= quarter), mine[-1][1])
        start, end = mine[0][1], mine[-1][1]
        growth = end - settled
        flat = growth <= max(settled * MEMORY_GROWTH_LIMIT, MEMORY_GROWTH_FLOOR_KB)
        rows.append(
            {
                "host": index,
                "start_kb": start,
                "after_quarter_kb": settled,
                "end_kb": end,
                "growth_after_quarter_kb": growth,
                "flat": flat,
            }
        )
    return rows


def evaluate(soak: Soak) -> dict[str, Any]:
    errors = [s for s in soak.samples if not s.ok]
    trip_rows = [
        {"trip_s": round(t - soak.started, 2), **propagation(soak, t)} for t in trips(soak)
    ]
    chat_lags = [v for row in trip_rows for k, v in row.items() if k.endswith("chat_s") and v]
    recoveries = recovery_probes(soak)
    memory = memory_rows(soak)
    checks = {
        "no errors": not errors and bool(soak.samples),
        "trips reach both hosts' chat path within 1 s": bool(trip_rows)
        and all(lag <= CACHE_TTL_S + ADMISSION_SLACK_S for lag in chat_lags),
        "exactly one probe per recovery window": bool(recoveries)
        and all(r["probes"] == 1 for r in recoveries),
        "memory flat": all(row["flat"] for row in memory),
    }
    return {
        "requests": len(soak.samples),
        "errors": len(errors),
        "by_tier": {str(t): sum(1 for s in soak.samples if s.tier == t) for t in (1, 2, 3, 4)},
        "latency": summarize([s.ms for s in soak.samples]).to_json(),
        "trips": trip_rows,
        "max_chat_propagation_s": max(chat_lags, default=0.0),
        "recoveries": recoveries,
        "memory": memory,
        "checks": checks,
    }


def render(summary: dict[str, Any], soak: Soak) -> str:
    lines = [
        "# Soak",
        "",
        f"{summary['requests']} requests over {soak.duration_s:.0f} s at {soak.rate:g} req/s, "
        f"alternating between {len(soak.hosts)} dev hosts ({_topology(soak)}) sharing one "
        "Azurite; tier 1 "
        f"failed for {soak.fault_s:g} s every {soak.cycle_s:g} s (503s and hangs in turn). "
        f"Breakers: trip after 3 failures, break {OPEN_S:g} s doubling to {MAX_OPEN_S:g} s.",
        "",
        "| check | result |",
        "|---|---|",
        *[f"| {name} | {'pass' if ok else '**FAIL**'} |" for name, ok in summary["checks"].items()],
        "",
        f"- errors: {summary['errors']}; answers by tier: {summary['by_tier']}; latency "
        f"p50 {summary['latency']['p50']:.0f} ms, p99 {summary['latency']['p99']:.0f} ms, "
        f"max {summary['latency']['max']:.0f} ms",
        f"- trips (from the table): {len(summary['trips'])}; longest time a host's requests "
        f"still called tier 1 after a trip: {summary['max_chat_propagation_s']:.2f} s (the "
        f"breaker cache TTL is {CACHE_TTL_S:g} s)",
        "- recoveries (fault cleared → breaker closed, probes): "
        + "; ".join(
            f"{r['fault']} {r['cleared_s']}→{r['closed_s']} s: {r['probes']}"
            for r in summary["recoveries"]
        ),
        "",
        "| host | RSS at start | after a quarter | at end | growth after the quarter |",
        "|---|---|---|---|---|",
        *[_memory_row(m) for m in summary["memory"]],
        "",
        "Chat lag: the last request a host sent after the trip that still called tier 1. "
        f"View lag: when its `GET /api/breakers` (asked every {VIEW_INTERVAL_S:g} s per host, "
        "staggered) first showed the trip; '-' when it was not asked before the break ended.",
        "",
        "| trip at (s) | host 0 chat lag (s) | host 0 view lag (s) | host 1 chat lag (s) "
        "| host 1 view lag (s) |",
        "|---|---|---|---|---|",
        *[
            f"| {t['trip_s']} | {t['host0_chat_s']:.2f} | {_fmt(t['host0_view_s'])} | "
            f"{t['host1_chat_s']:.2f} | {_fmt(t['host1_view_s'])} |"
            for t in summary["trips"]
        ],
        "",
        f"The dev host keeps at most {MAX_FINISHED} finished orchestration instances in memory "
        "here (bench.hostprobe --max-finished --no-ledger: nothing else changes), so its "
        "instance store is full within the first quarter; RSS is judged from then on.",
    ]
    return "\n".join(lines)


def _topology(soak: Soak) -> str:
    host = soak.hosts[0]
    if host.topology is Topology.SINGLE:
        return "one process each"
    return f"Flex topology, {len(host.pids())} processes each: one per function group"


def _memory_row(m: dict[str, Any]) -> str:
    mib = {k: v / 1024 for k, v in m.items() if k.endswith("_kb")}
    return (
        f"| {m['host']} | {mib['start_kb']:.1f} MiB | {mib['after_quarter_kb']:.1f} MiB | "
        f"{mib['end_kb']:.1f} MiB | {mib['growth_after_quarter_kb']:+.1f} MiB |"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


async def run(minutes: float, rate: float, out: Path, topology: Topology = Topology.FLEX) -> int:
    failover = {
        "tier_timeout_s": TIER_TIMEOUT_S,
        "breaker": {"failure_threshold": 3, "open_s": OPEN_S, "max_open_s": MAX_OPEN_S},
    }
    with stack(**failover) as running:
        inbox = running.start_service("bench.inbox")
        start = running.start_flex_host if topology is Topology.FLEX else running.start_probe_host
        hosts = [
            start(
                ProbeOptions(ledger=False, max_finished=MAX_FINISHED),
                POLL_MS="20",
                **inbox.ready["settings"],
            )
            for _ in range(2)
        ]
        async with loadgen.new_session() as session:
            soak = Soak(running, hosts, session, rate, minutes * 60.0, 60.0, 15.0)
            await soak.fault(kind="ok", latency_ms=PROVIDER_MS)
            for index in range(20):
                await loadgen.send(session, soak.call(index))
            soak.started = time.time()
            tasks = [
                soak.traffic(),
                soak.schedule(),
                soak.monitor(),
                soak.memory(),
                soak.watch_table(running.azurite.connection_string),
            ]
            progress = asyncio.create_task(_progress(soak))
            await asyncio.gather(*tasks)
            progress.cancel()
    summary = evaluate(soak)
    text = render(summary, soak)
    written = _write(out, summary, text)
    print(text)
    print(f"written: {written}")
    return 0 if all(summary["checks"].values()) else 1


async def _progress(soak: Soak) -> None:
    while not soak.stop.is_set():
        await asyncio.sleep(15.0)
        rss = {host: kb for _, host, kb in soak.rss[-2:]}
        print(
            f"{time.time() - soak.started:5.0f} s: faults so far {len(soak.faults)}, "
            f"RSS {', '.join(f'{kb / 1024:.0f} MiB' for kb in rss.values())}",
            flush=True,
        )


def _write(out: Path, summary: dict[str, Any], text: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"soak-{stamp}.json").write_text(json.dumps(summary, indent=1))
    path = out / f"soak-{stamp}.md"
    path.write_text(text)
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument(
        "--topology", choices=[t.value for t in Topology], default=Topology.FLEX.value
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    topology = Topology(args.topology)
    return asyncio.run(run(args.minutes, args.rate, args.out.resolve(), topology))


if __name__ == "__main__":
    sys.exit(main())
