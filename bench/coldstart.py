"""B15: cold starts. A fresh dev host process, from spawn to its first crisis reply and to its
first ordinary answer, under each warm-up mode (``ASKEVE_WARM_UP``), in the same run.

Each cold start spawns ``python -m devhost`` with the benchmark stack's settings, waits until
its port accepts a connection (what a client or Azure's front end would see), then sends one
crisis message and one ordinary question at once, each in a new conversation. Times are from
the spawn. The host is stopped before the next start; the modes alternate, so drifting load
on the machine falls on both alike. Azurite and the simulated providers are already running,
as storage and the providers are in Azure when an instance starts.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from bench.loadgen import question
from bench.stack import FUNCTION_KEY, REPO, Stack
from devhost import azurite

CRISIS = "I can't go on anymore, I want to end my life"
QUESTION = "What are the symptoms of ovarian cancer?"
MODES = ("at_import", "background")  # before (as shipped until cold starts were measured), after
_START_DEADLINE_S = 60.0
_REPLY_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class ColdStart:
    """One cold start, in ms from the spawn."""

    mode: str
    listening_ms: float
    crisis_ms: float
    answer_ms: float
    crisis_ok: bool
    answer_ok: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "listening_ms": round(self.listening_ms, 1),
            "crisis_ms": round(self.crisis_ms, 1),
            "answer_ms": round(self.answer_ms, 1),
            "crisis_ok": self.crisis_ok,
            "answer_ok": self.answer_ok,
        }


def _wait_listening(process: subprocess.Popen[bytes], port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dev host exited with {process.returncode} during start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.05):
            return
        time.sleep(0.002)
    raise RuntimeError("dev host did not listen in time")


def _post(url: str, body: dict[str, Any], started: float, into: dict[str, Any], key: str) -> None:
    try:
        reply = requests.post(
            url, json=body, headers={"x-functions-key": FUNCTION_KEY}, timeout=_REPLY_TIMEOUT_S
        )
        ok = reply.status_code == 200 and bool(reply.json()["choices"][0]["message"]["content"])
        if key == "crisis":
            ok = ok and reply.json().get("failover", {}).get("crisis") is True
    except (requests.RequestException, ValueError, KeyError, IndexError):
        ok = False
    into[key] = ((time.monotonic() - started) * 1000.0, ok)


def cold_start(running: Stack, mode: str, run: int, **extra: str) -> ColdStart:
    """Spawn one dev host with ``ASKEVE_WARM_UP=mode`` and time its first two replies."""
    port = azurite.free_port()
    env = running.env(ASKEVE_WARM_UP=mode, **extra)
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "devhost", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_listening(process, port, started + _START_DEADLINE_S)
        listening_ms = (time.monotonic() - started) * 1000.0
        url = f"http://127.0.0.1:{port}/api/chat"
        results: dict[str, Any] = {}
        threads = [
            threading.Thread(
                target=_post,
                args=(url, question(text, f"cold-{mode}-{run}-{key}"), started, results, key),
            )
            for key, text in (("crisis", CRISIS), ("answer", QUESTION))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    crisis_ms, crisis_ok = results["crisis"]
    answer_ms, answer_ok = results["answer"]
    return ColdStart(mode, listening_ms, crisis_ms, answer_ms, crisis_ok, answer_ok)


def cold_starts(running: Stack, runs: int, **extra: str) -> list[ColdStart]:
    """``runs`` cold starts in each mode, alternating (one discarded start first, which may
    compile .pyc files)."""
    cold_start(running, MODES[-1], -1, **extra)
    found = []
    for run in range(runs):
        for mode in MODES:
            found.append(cold_start(running, mode, run, **extra))
    return found


@dataclass(frozen=True, slots=True)
class ColdSummary:
    median_crisis_ms: float
    max_crisis_ms: float
    median_answer_ms: float
    max_answer_ms: float
    median_listening_ms: float
    failed: int


def summarize(starts: list[ColdStart], mode: str) -> ColdSummary:
    mine = [s for s in starts if s.mode == mode]
    crisis = [s.crisis_ms for s in mine]
    answer = [s.answer_ms for s in mine]
    return ColdSummary(
        median_crisis_ms=statistics.median(crisis),
        max_crisis_ms=max(crisis),
        median_answer_ms=statistics.median(answer),
        max_answer_ms=max(answer),
        median_listening_ms=statistics.median(s.listening_ms for s in mine),
        failed=sum(not (s.crisis_ok and s.answer_ok) for s in mine),
    )
