"""The load generator: asyncio with one aiohttp session, in the benchmark's own process.

Concurrency model: one event loop in this process (never the server's), ``concurrency``
tasks each sending one request at a time over keep-alive connections (closed loop), or one
task per request released on a fixed schedule (open loop, for a steady rate that does not slow
down when the server does). Every reply is checked and kept as a :class:`Sample`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.stack import FUNCTION_KEY


@dataclass(frozen=True, slots=True)
class Call:
    """One request to send: where, what, and a label for the report."""

    url: str
    body: dict[str, Any]
    kind: str = "chat"  # chat | crisis
    target: str = ""


@dataclass(frozen=True, slots=True)
class Sample:
    """One answered (or failed) request. ``started`` is epoch seconds."""

    started: float
    ms: float
    status: int  # 0: no HTTP answer (connection error or client timeout)
    kind: str
    target: str
    tier: int | None = None
    provider: str | None = None
    crisis: bool = False
    attempts: tuple[tuple[str, str, float], ...] = ()
    problem: str = ""  # empty when the reply is a valid chat.completion with a failover report

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.problem

    def attempted(self, provider: str) -> bool:
        """Whether this request really called ``provider`` (not skipped)."""
        skips = {"breaker_open", "not_configured", "disabled", "residency_blocked"}
        return any(p == provider and o not in skips for p, o, _ in self.attempts)

    def to_json(self) -> dict[str, Any]:
        return {
            "started": round(self.started, 4),
            "ms": round(self.ms, 2),
            "status": self.status,
            "kind": self.kind,
            "target": self.target,
            "tier": self.tier,
            "provider": self.provider,
            "crisis": self.crisis,
            "attempts": [list(a) for a in self.attempts],
            "problem": self.problem,
        }


def body_problem(data: Any, *, crisis: bool = False) -> str:
    """Why ``data`` is not a valid chat reply ('' when it is)."""
    if not isinstance(data, dict) or data.get("object") != "chat.completion":
        return "not a chat.completion"
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        return "no choices"
    content = (choices[0].get("message") or {}).get("content")
    if not isinstance(content, str) or not content.strip():
        return "empty content"
    failover = data.get("failover")
    if not isinstance(failover, dict) or not isinstance(failover.get("tier"), int):
        return "no failover report"
    if crisis and failover.get("crisis") is not True:
        return "crisis message answered as ordinary chat"
    return ""


def sample_from(call: Call, started: float, ms: float, status: int, data: Any) -> Sample:
    problem = body_problem(data, crisis=call.kind == "crisis") if status == 200 else ""
    failover = data.get("failover", {}) if isinstance(data, dict) else {}
    failover = failover if isinstance(failover, dict) else {}
    attempts = tuple(
        (str(a.get("provider")), str(a.get("outcome")), float(a.get("ms", 0.0)))
        for a in failover.get("attempts", [])
        if isinstance(a, dict)
    )
    return Sample(
        started=started,
        ms=ms,
        status=status,
        kind=call.kind,
        target=call.target,
        tier=failover.get("tier"),
        provider=failover.get("provider"),
        crisis=bool(failover.get("crisis")),
        attempts=attempts,
        problem=problem if status == 200 else f"HTTP {status}",
    )


def new_session(connections: int = 200, timeout_s: float = 30.0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, force_close=False),
        timeout=aiohttp.ClientTimeout(total=timeout_s),
        headers={"x-functions-key": FUNCTION_KEY},
    )


async def send(session: aiohttp.ClientSession, call: Call) -> Sample:
    started_wall = time.time()
    started = time.perf_counter()
    try:
        async with session.post(call.url, json=call.body) as response:
            raw = await response.read()
            ms = (time.perf_counter() - started) * 1000.0
            try:
                data = await response.json(content_type=None) if raw else None
            except ValueError:
                data = None
            return sample_from(call, started_wall, ms, response.status, data)
    except (aiohttp.ClientError, TimeoutError) as exc:
        ms = (time.perf_counter() - started) * 1000.0
        return Sample(started_wall, ms, 0, call.kind, call.target, problem=type(exc).__name__)


async def closed_loop(
    session: aiohttp.ClientSession,
    calls: Callable[[int], Call],
    *,
    concurrency: int,
    duration_s: float | None = None,
    count: int | None = None,
) -> tuple[list[Sample], float]:
    """``concurrency`` workers, each sending back to back, until ``duration_s`` or ``count``.

    Returns the samples and the wall time the run took.
    """
    if (duration_s is None) == (count is None):
        raise ValueError("give exactly one of duration_s and count")
    samples: list[Sample] = []
    issued = 0
    started = time.perf_counter()
    deadline = started + duration_s if duration_s is not None else float("inf")

    async def worker() -> None:
        nonlocal issued
        while time.perf_counter() < deadline and (count is None or issued < count):
            index = issued
            issued += 1
            samples.append(await send(session, calls(index)))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - started


async def open_loop(
    session: aiohttp.ClientSession,
    calls: Callable[[int], Call | None],
    *,
    rate_per_s: float,
    duration_s: float,
    on_sample: Callable[[Sample], None] | None = None,
) -> list[Sample]:
    """Release one request every ``1 / rate_per_s`` seconds for ``duration_s`` seconds,
    whatever the answers take; ``calls`` may return None to skip a slot. Waits for all."""
    interval = 1.0 / rate_per_s
    started = time.perf_counter()
    tasks: list[asyncio.Task[Sample]] = []
    index = 0
    while True:
        due = started + index * interval
        if due - started >= duration_s:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        call = calls(index)
        index += 1
        if call is None:
            continue
        task = asyncio.create_task(send(session, call))
        if on_sample is not None:
            task.add_done_callback(lambda t: on_sample(t.result()))
        tasks.append(task)
    return list(await asyncio.gather(*tasks))


def question(text: str, conversation_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": [{"role": "user", "content": text}]}
    if conversation_id is not None:
        body["metadata"] = {"conversation_id": conversation_id}
    return body


def rows(samples: Sequence[Sample]) -> list[dict[str, Any]]:
    return [s.to_json() for s in samples]
