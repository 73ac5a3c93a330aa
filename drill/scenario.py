"""Run the chaos drill: steady chat traffic through the phases, watched from outside.

Three tasks share this process's event loop: the traffic (one request every ``1 / rate``
seconds, whatever the answers take), the monitor (``GET /api/breakers`` with the admin key
every ``monitor_interval_s``) and the phase driver (faults through the simulators' control
API). The system under test runs in other processes (see bench.stack).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from bench import loadgen
from bench.loadgen import Call, Sample
from bench.stack import ADMIN_KEY, Host, Stack, stack
from devhost.topology import Topology
from drill.model import (
    PROVIDERS,
    TAIL_PHASE,
    BreakerObservation,
    Delivery,
    DrillConfig,
    DrillResult,
    Phase,
    Recovery,
    Sla,
)
from shared.platform.config import load_config

QUESTION = "What are the early symptoms of womb cancer?"
CRISIS = "I can't go on anymore, I want to end my life"
_CODES = {"closed": "c", "open": "O", "half_open": "h"}


@dataclass
class _Run:
    """Mutable state of one drill while it runs."""

    config: DrillConfig
    host: Host
    running: Stack
    session: aiohttp.ClientSession
    started: float = field(default_factory=time.time)
    phase: str = ""
    phases: list[Phase] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    breakers: list[BreakerObservation] = field(default_factory=list)
    latest: dict[str, str] = field(default_factory=dict)
    recoveries: list[Recovery] = field(default_factory=list)
    fault_started: dict[str, float] = field(default_factory=dict)
    refusing: dict[str, float] = field(default_factory=dict)
    refusals: list[tuple[str, float, float]] = field(default_factory=list)
    sent: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    # --- faults ----------------------------------------------------------------------------

    async def fault(self, provider: str, **fault: Any) -> None:
        url = f"{self.running.sims.control}/_sim/fault"
        async with self.session.post(url, json={"provider": provider, **fault}) as reply:
            reply.raise_for_status()
        now = time.time()
        if fault.get("kind", "ok") != "ok":
            self.fault_started.setdefault(provider, now)
        if fault.get("kind") == "refuse":
            self.refusing.setdefault(provider, now)
        elif provider in self.refusing:
            self.refusals.append((provider, self.refusing.pop(provider), now))

    async def healthy(self, provider: str) -> None:
        """Answer normally, streamed at a model's pace (first token, then tokens/s)."""
        await self.fault(
            provider,
            kind="ok",
            first_token_ms=self.config.provider_ms,
            tokens_per_s=self.config.tokens_per_s,
            answer_tokens=self.config.answer_tokens,
        )

    async def provider_calls(self) -> dict[str, int]:
        async with self.session.get(f"{self.running.sims.control}/_sim/stats") as reply:
            data = await reply.json()
        return {p: int(data[p]["requests"]) for p in PROVIDERS}

    # --- phases ----------------------------------------------------------------------------

    def enter(self, name: str) -> None:
        now = time.time()
        if self.phases:
            last = self.phases[-1]
            self.phases[-1] = Phase(last.name, last.start, now)
        self.phases.append(Phase(name, now, now))
        self.phase = name

    def close_phases(self) -> None:
        last = self.phases[-1]
        self.phases[-1] = Phase(last.name, last.start, time.time())

    # --- traffic ---------------------------------------------------------------------------

    def next_call(self, index: int) -> Call:
        url = f"{self.host.base_url}/api/chat"
        crisis = (
            self.phase == "crisis messages during the outage"
            and index % self.config.crisis_every == 0
        )
        if crisis:
            # Each crisis message comes from its own conversation, so each one escalates.
            body = loadgen.question(CRISIS, f"drill-{int(self.started)}-crisis-{index}")
            return Call(url, body, "crisis", self.phase)
        return Call(url, loadgen.question(QUESTION), "chat", self.phase)

    async def traffic(self) -> None:
        interval = 1.0 / self.config.rate_per_s
        tasks: set[asyncio.Task[None]] = set()
        begin = time.perf_counter()
        index = 0
        while not self.stop.is_set():
            delay = begin + index * interval - time.perf_counter()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), delay)
                if self.stop.is_set():
                    break
            call = self.next_call(index)
            index += 1
            self.sent += 1
            task = asyncio.create_task(self._send(call))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)

    async def _send(self, call: Call) -> None:
        self.samples.append(await loadgen.send(self.session, call))

    # --- monitor ---------------------------------------------------------------------------

    async def monitor(self) -> None:
        url = f"{self.host.base_url}/api/breakers"
        while not self.stop.is_set():
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(url, headers={"x-functions-key": ADMIN_KEY}) as reply:
                    data = await reply.json()
                now = time.time()
                for view in data["breakers"]:
                    self.breakers.append(
                        BreakerObservation(
                            now,
                            view["provider"],
                            view["state"],
                            int(view["failed_probes"]),
                            _epoch(view.get("changed_at")),
                        )
                    )
                    self.latest[view["provider"]] = view["state"]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.config.monitor_interval_s)

    def closed_since(self, provider: str, since: float) -> float | None:
        """The breaker's close time, once it has been seen closed after ``since``."""
        for seen in reversed(self.breakers):
            if seen.provider != provider or seen.at < since:
                continue
            if seen.state == "closed" and seen.changed_at is not None:
                return seen.changed_at
            return None
        return None

    # --- progress --------------------------------------------------------------------------

    async def progress(self, print_line: Callable[[str], None]) -> None:
        shown = 0
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 1.0)
            fresh = self.samples[shown:]
            shown += len(fresh)
            tiers = {t: sum(1 for s in fresh if s.tier == t and s.ok) for t in (1, 2, 3, 4)}
            bad = sum(1 for s in fresh if not s.ok)
            states = " ".join(
                f"{p[:5]}:{_CODES.get(self.latest.get(p, ''), '?')}" for p in PROVIDERS
            )
            worst = max((s.ms for s in fresh), default=0.0)
            print_line(
                f"{time.time() - self.started:6.1f}s  {self.phase:<34} sent {self.sent:5d}  "
                f"last 1s: t1 {tiers[1]:3d} t2 {tiers[2]:3d} t3 {tiers[3]:3d} "
                f"t4 {tiers[4]:3d} bad {bad:2d} max {worst:6.0f} ms  [{states}]"
            )


def _epoch(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


async def _hold(run: _Run, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run.stop.wait(), seconds)


async def _phases(run: _Run) -> None:
    """Drive the scenario of issue 9, then stop the traffic."""
    lengths = dict(run.config.phase_lengths())
    try:
        run.enter("all healthy")
        await _hold(run, lengths["all healthy"])
        run.enter("tier 1 hangs")
        await run.fault("openai", kind="hang")
        await _hold(run, lengths["tier 1 hangs"])
        run.enter("tiers 1 and 2 return 503")
        await run.fault("openai", kind="status", status=503)
        await run.fault("azure_openai", kind="status", status=503)
        await _hold(run, lengths["tiers 1 and 2 return 503"])
        run.enter("all LLM tiers down")
        await run.fault("anthropic", kind="refuse")
        await _hold(run, lengths["all LLM tiers down"])
        run.enter("crisis messages during the outage")
        await _hold(run, lengths["crisis messages during the outage"])
        # Bottom tier first: while the tiers above stay open, traffic reaches the
        # recovering tier, so its half-open probe is sent by ordinary requests.
        for provider in reversed(PROVIDERS):
            run.enter(f"recovery: {provider}")
            cleared = time.time()
            await run.healthy(provider)
            deadline = cleared + run.config.recovery_wait_s()
            closed: float | None = None
            while closed is None and time.time() < deadline:
                await _hold(run, run.config.monitor_interval_s)
                closed = run.closed_since(provider, cleared)
            run.recoveries.append(Recovery(provider, cleared, closed))
        run.enter(TAIL_PHASE[0])
        await _hold(run, run.config.tail_length())
    finally:
        run.close_phases()
        run.stop.set()


async def _deliveries(run: _Run, inbox_url: str, expected_clinical: int) -> tuple[Delivery, ...]:
    """What the loopback inbox received, waiting up to ``delivery_wait_s`` for stragglers."""
    deadline = time.time() + run.config.delivery_wait_s
    while True:
        async with run.session.get(f"{inbox_url}/_inbox/stats") as reply:
            data = await reply.json()
        found = tuple(
            [Delivery(d["at"], "teams", d["path"], d["title"]) for d in data["webhook"]]
            + [Delivery(d["at"], "email", d["to"], d["subject"]) for d in data["email"]]
        )
        clinical = sum(1 for d in found if d.route in {"/clinical", "nurse-team@localhost"})
        ops = sum(1 for d in found if d.route in {"/operations", "operations@localhost"})
        if (clinical >= 2 * expected_clinical and ops >= 2) or time.time() > deadline:
            return found
        await asyncio.sleep(0.2)


def _config_overrides(config: DrillConfig) -> dict[str, Any]:
    return {
        "tier_timeout_s": config.tier_timeout_s,
        "budget_s": config.budget_s,
        "breaker": {
            "failure_threshold": config.failure_threshold,
            "open_s": config.open_s,
            "max_open_s": config.max_open_s,
        },
        "escalation": {
            "retry": {"first_delay_s": 0.2, "max_delay_s": 1.0, "attempt_timeout_s": 2.0},
        },
    }


async def _drive(
    config: DrillConfig, running: Stack, print_line: Callable[[str], None]
) -> DrillResult:
    inbox = running.start_service("bench.inbox")
    settings = {"POLL_MS": str(config.poll_ms), **inbox.ready["settings"]}
    if config.topology is Topology.FLEX:
        host = running.start_flex_host(**settings)
    else:
        host = running.start_host(**settings)
    sla = load_config(running.config_dir).safety.sla
    async with loadgen.new_session(timeout_s=config.budget_s + 10.0) as session:
        run = _Run(config, host, running, session)
        for provider in PROVIDERS:
            await run.healthy(provider)
        for _ in range(5):  # warm the SDK clients and connections; not part of the record
            await loadgen.send(session, run.next_call(1))
        run.fault_started.clear()
        before = await run.provider_calls()
        run.started = time.time()
        tasks = [
            asyncio.create_task(run.traffic()),
            asyncio.create_task(run.monitor()),
            asyncio.create_task(run.progress(print_line) if config.live else run.stop.wait()),
        ]
        await _phases(run)
        await asyncio.gather(*tasks)
        ended = time.time()
        after = await run.provider_calls()
        crises = sum(1 for s in run.samples if s.kind == "crisis")
        deliveries = await _deliveries(run, str(inbox.ready["control_url"]), crises)
    return DrillResult(
        config=config,
        started=run.started,
        ended=ended,
        phases=tuple(run.phases),
        samples=tuple(sorted(run.samples, key=lambda s: s.started)),
        breakers=tuple(run.breakers),
        recoveries=tuple(run.recoveries),
        provider_calls={p: after[p] - before[p] for p in PROVIDERS},
        deliveries=deliveries,
        sla=Sla(
            sla.crisis_response_s,
            sla.crisis_response_target,
            sla.failover_switch_s,
            sla.availability_target,
        ),
        fault_started=dict(run.fault_started),
        refusals=tuple(run.refusals)
        + tuple((p, since, ended) for p, since in run.refusing.items()),
        host_processes=(
            tuple(host.group_processes.processes) if host.group_processes else ("single",)
        ),
    )


async def run_drill(config: DrillConfig, print_line: Callable[[str], None]) -> DrillResult:
    """Start the stack (Azurite, simulators, inbox, one dev host), run the drill, stop it."""
    with stack(**_config_overrides(config)) as running:
        return await _drive(config, running, print_line)
