"""Start (or reuse) Azurite's table and queue services on loopback for local runs and tests.

The tables hold the gateway's state; the queues carry operations alerts and the records
outbox to their queue triggers. Each service is its own Azurite process, with telemetry off.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Azurite's published, well-known development account key (not a secret).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_TABLE_PORT = 10002
DEFAULT_QUEUE_PORT = 10001


def connection_string(port: int, host: str = "127.0.0.1", queue_port: int | None = None) -> str:
    """The development connection string for a table endpoint on ``port`` (and a queue
    endpoint on ``queue_port``, when given)."""
    default_queue = queue_port in (None, DEFAULT_QUEUE_PORT)
    if port == DEFAULT_TABLE_PORT and host == "127.0.0.1" and default_queue:
        return "UseDevelopmentStorage=true"
    text = (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
        f"TableEndpoint=http://{host}:{port}/{DEV_ACCOUNT};"
    )
    if queue_port is not None:
        text += f"QueueEndpoint=http://{host}:{queue_port}/{DEV_ACCOUNT};"
    return text


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(service: str) -> str:
    name = f"azurite-{service}"
    local = REPO_ROOT / "node_modules" / ".bin" / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run 'npm ci' in the repository first")
    return found


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class Azurite:
    """Running (or shared, already running) Azurite table and queue services."""

    port: int
    process: subprocess.Popen[bytes] | None
    queue_port: int | None = None
    queue_process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        return connection_string(self.port, queue_port=self.queue_port)

    def stop(self) -> None:
        _stop(self.queue_process)
        _stop(self.process)


def start(
    port: int = DEFAULT_TABLE_PORT,
    *,
    queue_port: int | None = None,
    location: Path | None = None,
    reuse: bool = True,
    timeout_s: float = 30.0,
) -> Azurite:
    """Start Azurite's table service on 127.0.0.1:``port`` and its queue service on
    ``queue_port`` (default 10001 beside the default table port, else a free port); reuse
    either when it is already listening."""
    if queue_port is None:
        queue_port = DEFAULT_QUEUE_PORT if port == DEFAULT_TABLE_PORT else free_port()
    table = _start_service("table", port, location, reuse=reuse, timeout_s=timeout_s)
    try:
        queue = _start_service("queue", queue_port, location, reuse=reuse, timeout_s=timeout_s)
    except BaseException:
        _stop(table)
        raise
    return Azurite(port=port, process=table, queue_port=queue_port, queue_process=queue)


def _start_service(
    service: str, port: int, location: Path | None, *, reuse: bool, timeout_s: float
) -> subprocess.Popen[bytes] | None:
    """The started process, or None when one is listening already and ``reuse`` is on."""
    if reuse and port_open(port):
        return None
    args = [
        _binary(service),
        f"--{service}Host",
        "127.0.0.1",
        f"--{service}Port",
        str(port),
        "--disableTelemetry",
    ]
    if service == "queue":
        # azure-storage-queue speaks a newer service version than this Azurite knows; the
        # calls the app makes are the same in both.
        args.append("--skipApiVersionCheck")
    if location is None:
        args.append("--inMemoryPersistence")
    else:
        location.mkdir(parents=True, exist_ok=True)
        args += ["--location", str(location)]
    process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "AZURITE_ACCEPT_EULA": "true"},
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"azurite-{service} exited with code {process.returncode}")
        if port_open(port):
            return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"azurite-{service} did not listen on port {port} within {timeout_s} s")
