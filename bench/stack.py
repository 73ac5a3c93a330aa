"""The system under measurement: Azurite, the simulated providers and dev hosts, each in its own
OS process, so that the load generator (this process) never competes with the server's event
loop. Everything binds to loopback and is stopped on exit."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from devhost import azurite

REPO = Path(__file__).resolve().parent.parent
FUNCTION_KEY = "bench-function-key"
ADMIN_KEY = "bench-admin-key"
SIM_KEY = "sk-simulated-bench"


def _read_json_line(process: subprocess.Popen[str], timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError(f"process exited with {process.returncode}")
            continue
        line = line.strip()
        if line.startswith("{"):
            data: dict[str, Any] = json.loads(line)
            return data
    raise RuntimeError("no ready line")


@dataclass
class Simulators:
    process: subprocess.Popen[str]
    urls: dict[str, Any]

    @property
    def control(self) -> str:
        return str(self.urls["control_url"])

    def fault(self, provider: str, **fault: Any) -> None:
        response = requests.post(
            f"{self.control}/_sim/fault", json={"provider": provider, **fault}, timeout=10
        )
        response.raise_for_status()

    def clear(self, provider: str | None = None) -> None:
        if provider is None:
            requests.post(f"{self.control}/_sim/reset", timeout=10).raise_for_status()
        else:
            requests.delete(f"{self.control}/_sim/fault/{provider}", timeout=10).raise_for_status()

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = requests.get(f"{self.control}/_sim/stats", timeout=10).json()
        return data

    def count(self, provider: str) -> int:
        return int(self.stats()[provider]["requests"])


@dataclass
class Host:
    process: subprocess.Popen[str]
    base_url: str
    port: int

    def pid(self) -> int:
        return self.process.pid


@dataclass
class Stack:
    """Processes started for one benchmark run; stopped by :meth:`close`."""

    azurite: azurite.Azurite
    sims: Simulators
    config_dir: Path
    hosts: list[Host] = field(default_factory=list)
    _processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        urls = self.sims.urls
        return {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "AzureWebJobsStorage": self.azurite.connection_string,
            "DURABLE_TASK_HUB_NAME": "bench",
            "ASKEVE_CONFIG_DIR": str(self.config_dir),
            "ASKEVE_STATUS_POLL_INTERVAL_MS": extra.pop("POLL_MS", "5"),
            "ASKEVE_SIMULATED_PROVIDERS": "true",
            "PSEUDONYM_KEY": "bench-pseudonym-key",
            "OPENAI_API_KEY": SIM_KEY,
            "OPENAI_BASE_URL": str(urls["openai_base_url"]),
            "AZURE_OPENAI_ENDPOINT": str(urls["azure_endpoint"]),
            "AZURE_OPENAI_API_KEY": SIM_KEY,
            "ANTHROPIC_API_KEY": SIM_KEY,
            "ANTHROPIC_BASE_URL": str(urls["anthropic_base_url"]),
            "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
            "DEVHOST_ADMIN_KEY": ADMIN_KEY,
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def start_host(self, **extra: str) -> Host:
        port = azurite.free_port()
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "devhost", "--port", str(port)],
            cwd=REPO,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._processes.append(process)
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if "devhost ready" in line:
                break
            if not line and process.poll() is not None:
                raise RuntimeError("dev host exited during start-up")
        # drain stdout so the pipe never fills
        threading_drain(process)
        host = Host(process, f"http://127.0.0.1:{port}", port)
        self.hosts.append(host)
        return host

    def close(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self._processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.azurite.stop()
        shutil.rmtree(self.config_dir, ignore_errors=True)


def threading_drain(process: subprocess.Popen[str]) -> None:
    import threading  # noqa: PLC0415

    def drain() -> None:
        assert process.stdout is not None
        for _ in process.stdout:
            pass

    threading.Thread(target=drain, daemon=True).start()


def write_config(directory: Path, **failover: Any) -> None:
    for file in (REPO / "config").glob("*.json"):
        shutil.copy(file, directory / file.name)
    path = directory / "failover-config.json"
    data = json.loads(path.read_text())
    timeout = failover.pop("tier_timeout_s", None)
    if timeout is not None:
        for tier in data["tiers"]:
            tier["timeout_s"] = timeout
    breaker = failover.pop("breaker", None)
    if breaker:
        data["breaker_defaults"].update(breaker)
    data.update(failover)
    path.write_text(json.dumps(data))


@contextlib.contextmanager
def stack(**failover: Any) -> Iterator[Stack]:
    """Azurite, the simulators and a config directory; hosts are started on demand."""
    storage = azurite.start(azurite.free_port(), reuse=False)
    config_dir = Path(tempfile.mkdtemp(prefix="askeve-bench-"))
    write_config(config_dir, **failover)
    sims_process = subprocess.Popen(
        [sys.executable, "-m", "simulators"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    running: Stack | None = None
    try:
        urls = _read_json_line(sims_process)
        threading_drain(sims_process)
        running = Stack(storage, Simulators(sims_process, urls), config_dir)
        running._processes.append(sims_process)
        yield running
    finally:
        if running is not None:
            running.close()
        else:
            sims_process.kill()
            storage.stop()
