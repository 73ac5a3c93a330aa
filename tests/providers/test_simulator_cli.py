"""``python -m simulators`` announces its URLs on one JSON line and stops on SIGTERM."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli() -> Iterator[subprocess.Popen[str]]:
    """The simulator CLI on free ports, killed if a test leaves it running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--host", "127.0.0.1"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def ready_line(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], 15)
    assert readable, "no ready line"
    return dict(json.loads(process.stdout.readline()))


def test_prints_the_urls_on_one_json_line(cli: subprocess.Popen[str]) -> None:
    """The ready line names every provider URL and the control URL."""
    ready = ready_line(cli)
    assert ready["openai_base_url"].endswith("/v1")
    assert {"azure_endpoint", "anthropic_base_url", "control_url"} <= ready.keys()


def test_serves_the_control_api(cli: subprocess.Popen[str]) -> None:
    """The announced control URL answers /_sim/stats."""
    url = ready_line(cli)["control_url"] + "/_sim/stats"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL
        assert set(json.load(response)) == {"openai", "azure_openai", "anthropic"}


def test_sigterm_stops_it_cleanly(cli: subprocess.Popen[str]) -> None:
    """SIGTERM ends the process with status 0 and nothing on stderr."""
    ready_line(cli)
    cli.send_signal(signal.SIGTERM)
    _, stderr = cli.communicate(timeout=10)
    assert (cli.returncode, stderr) == (0, "")
