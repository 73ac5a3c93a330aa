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
from devhost.processes import HostProcesses, start_host
from devhost.topology import Topology
from simulators.harness import app_settings

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
    """A dev host: one process, or (Flex topology) the processes of every function group,
    of which ``process`` is the public HTTP one."""

    process: subprocess.Popen[str]
    base_url: str
    port: int
    banner: dict[str, Any] = field(default_factory=dict)  # JSON lines before the ready line
    group_processes: HostProcesses | None = None

    @property
    def topology(self) -> Topology:
        return Topology.SINGLE if self.group_processes is None else Topology.FLEX

    def pids(self) -> list[int]:
        """Every process of this host."""
        if self.group_processes is None:
            return [self.process.pid]
        return [p.process.pid for p in self.group_processes.processes.values()]

    def pid(self) -> int:
        return self.process.pid

    @property
    def probe_url(self) -> str:
        """The CPU ledger of a host started with ``probe=True`` (see bench.hostprobe)."""
        return str(self.banner["probe_url"])

    def rss_kb(self) -> int:
        """Resident set size of the host's processes together, from /proc."""
        return sum(_rss_kb(pid) for pid in self.pids())

    def cpu_s(self) -> float:
        """User plus system CPU seconds the host's processes have used, from /proc."""
        return sum(_cpu_s(pid) for pid in self.pids())


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS line")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How bench.hostprobe runs a dev host."""

    ledger: bool = True  # wrap the app's entry points to count their CPU time
    max_finished: int | None = None  # bound the dev host's in-memory instance store
    sdk_as_shipped: bool = False  # the app's Durable SDK fast path taken out (comparison)


@dataclass
class Service:
    """A helper process (table proxy, inbox) and its ready line."""

    process: subprocess.Popen[str]
    ready: dict[str, Any]


@dataclass
class Stack:
    """Processes started for one benchmark run; stopped by :meth:`close`."""

    azurite: azurite.Azurite
    sims: Simulators
    config_dir: Path
    hosts: list[Host] = field(default_factory=list)
    _processes: list[subprocess.Popen[str]] = field(default_factory=list)
    _groups: list[HostProcesses] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        urls = self.sims.urls
        return {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "AzureWebJobsStorage": self.azurite.connection_string,
            "DURABLE_TASK_HUB_NAME": "bench",
            "ASKEVE_CONFIG_DIR": str(self.config_dir),
            "ASKEVE_STATUS_POLL_INTERVAL_MS": extra.pop("POLL_MS", "5"),
            "PSEUDONYM_KEY": "bench-pseudonym-key",
            **app_settings({k: str(v) for k, v in urls.items()}, SIM_KEY),
            "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
            "DEVHOST_ADMIN_KEY": ADMIN_KEY,
            "PYTHONUNBUFFERED": "1",
            # Timer functions would call providers and tables on their own schedule, which
            # would blur per-request counts; the benchmark measures the chat path only.
            "HEALTH_CHECK_SCHEDULE": "0 0 0 1 1 *",
            "SECRET_ROTATION_SCHEDULE": "0 0 0 1 1 *",
            "AzureWebJobs.health_check.Disabled": "true",
            "AzureWebJobs.secret_rotation.Disabled": "true",
            "AUDIT_RETENTION_SCHEDULE": "0 0 0 1 1 *",
            "AzureWebJobs.audit_retention.Disabled": "true",
            "TASK_HUB_PURGE_SCHEDULE": "0 0 0 1 1 *",
            "AzureWebJobs.task_hub_retention.Disabled": "true",
            **extra,
        }

    def start_host(self, **extra: str) -> Host:
        """A dev host process with the stack's settings, overridden by ``extra``."""
        port = azurite.free_port()
        return self._launch([sys.executable, "-m", "devhost", "--port", str(port)], port, extra)

    def start_flex_host(self, options: ProbeOptions | None = None, /, **extra: str) -> Host:
        """A dev host in the Flex topology: one process per function group (devhost.processes),
        each run by bench.hostprobe when ``options`` are given."""
        port = azurite.free_port()
        command = None if options is None else _probe_command(options)
        processes = start_host(
            Topology.FLEX, env=self.env(**extra), port=port, command=command, quiet=True
        )
        self._groups.append(processes)
        host = Host(processes.public.process, processes.base_url, port, group_processes=processes)
        self.hosts.append(host)
        return host

    def start_probe_host(self, options: ProbeOptions | None = None, /, **extra: str) -> Host:
        """A dev host process run by bench.hostprobe (CPU ledger, comparisons; see there)."""
        port = azurite.free_port()
        command = _probe_command(options or ProbeOptions())
        return self._launch([*command, "--port", str(port)], port, extra)

    def _launch(self, command: list[str], port: int, extra: dict[str, str]) -> Host:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command,
            cwd=REPO,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._processes.append(process)
        deadline = time.monotonic() + 60
        banner: dict[str, Any] = {}
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if "devhost ready" in line:
                break
            if line.startswith("{"):
                banner.update(json.loads(line))
            if not line and process.poll() is not None:
                raise RuntimeError("dev host exited during start-up")
        # drain stdout so the pipe never fills
        threading_drain(process)
        host = Host(process, f"http://127.0.0.1:{port}", port, banner)
        self.hosts.append(host)
        return host

    def config_variant(self, **failover: Any) -> str:
        """Another config directory (removed on close), for a host that needs other settings;
        pass it to :meth:`start_host` as ``ASKEVE_CONFIG_DIR``."""
        directory = Path(tempfile.mkdtemp(prefix="askeve-bench-", dir=self.config_dir))
        write_config(directory, **failover)
        return str(directory)

    def start_service(self, module: str, *args: str) -> Service:
        """A helper process (``python -m module``) that prints one JSON ready line."""
        process = python_module(module, *args)
        self._processes.append(process)
        ready = _read_json_line(process)
        threading_drain(process)
        return Service(process, ready)

    def close(self) -> None:
        for group in reversed(self._groups):
            group.stop()
        for process in reversed(self._processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self._processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.azurite.stop()
        shutil.rmtree(self.config_dir, ignore_errors=True)


def _probe_command(options: ProbeOptions) -> list[str]:
    """``python -m bench.hostprobe [options] --``: the dev host's arguments follow."""
    command = [sys.executable, "-m", "bench.hostprobe"]
    if not options.ledger:
        command.append("--no-ledger")
    if options.max_finished is not None:
        command += ["--max-finished", str(options.max_finished)]
    if options.sdk_as_shipped:
        command.append("--sdk-as-shipped")
    return [*command, "--"]


def python_module(module: str, *args: str) -> subprocess.Popen[str]:
    """``python -m module`` from the repository, in its own session, stdout piped."""
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def threading_drain(process: subprocess.Popen[str]) -> None:
    import threading  # noqa: PLC0415

    def drain() -> None:
        assert process.stdout is not None
        with process.stdout:  # closed at EOF, i.e. once the process has exited
            for _ in process.stdout:
                pass

    threading.Thread(target=drain, daemon=True).start()


def write_config(directory: Path, **failover: Any) -> None:
    """The repo's config with these overrides, on a chain of one tier per simulator (openai,
    azure_openai, anthropic): the shipped chain's second Azure OpenAI tier would reach the same
    Azure simulator as the first, so faults and call counts could not tell the two apart."""
    for file in (REPO / "config").glob("*.json"):
        shutil.copy(file, directory / file.name)
    path = directory / "failover-config.json"
    data = json.loads(path.read_text())
    first_of_kind: dict[str, dict[str, Any]] = {}
    for tier in data["tiers"]:
        first_of_kind.setdefault(tier["kind"], tier)
    data["tiers"] = list(first_of_kind.values())
    timeout = failover.pop("tier_timeout_s", None)
    if timeout is not None:
        for tier in data["tiers"]:
            tier["first_token_s"] = timeout
    breaker = failover.pop("breaker", None)
    if breaker:
        data["breaker_defaults"].update(breaker)
    escalation = failover.pop("escalation", None)
    data.update(failover)
    path.write_text(json.dumps(data))
    if escalation:
        path = directory / "escalation-config.json"
        settings = json.loads(path.read_text())
        settings["retry"].update(escalation.pop("retry", {}))
        settings.update(escalation)
        path.write_text(json.dumps(settings))


@contextlib.contextmanager
def stack(**failover: Any) -> Iterator[Stack]:
    """Azurite, the simulators and a config directory; hosts are started on demand."""
    storage = azurite.start(azurite.free_port(), reuse=False)
    config_dir = Path(tempfile.mkdtemp(prefix="askeve-bench-"))
    write_config(config_dir, **failover)
    sims_process = python_module("simulators")
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
