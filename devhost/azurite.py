"""Start (or reuse) the Azurite table service on loopback for local runs and tests."""

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


def connection_string(port: int, host: str = "127.0.0.1") -> str:
    """The explicit development connection string for a table endpoint on ``port``."""
    if port == DEFAULT_TABLE_PORT and host == "127.0.0.1":
        return "UseDevelopmentStorage=true"
    return (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
        f"TableEndpoint=http://{host}:{port}/{DEV_ACCOUNT};"
    )


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary() -> str:
    local = REPO_ROOT / "node_modules" / ".bin" / "azurite-table"
    if local.exists():
        return str(local)
    found = shutil.which("azurite-table")
    if not found:
        raise RuntimeError("azurite-table not found: run 'npm ci' in the repository first")
    return found


@dataclass
class Azurite:
    """A running (or shared, already running) Azurite table service."""

    port: int
    process: subprocess.Popen[bytes] | None

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start(
    port: int = DEFAULT_TABLE_PORT,
    *,
    location: Path | None = None,
    reuse: bool = True,
    timeout_s: float = 30.0,
) -> Azurite:
    """Start Azurite's table service on 127.0.0.1:``port``; reuse one already listening."""
    if reuse and port_open(port):
        return Azurite(port=port, process=None)
    args = [_binary(), "--tableHost", "127.0.0.1", "--tablePort", str(port), "--disableTelemetry"]
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
            raise RuntimeError(f"azurite-table exited with code {process.returncode}")
        if port_open(port):
            return Azurite(port=port, process=process)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"azurite-table did not listen on port {port} within {timeout_s} s")
