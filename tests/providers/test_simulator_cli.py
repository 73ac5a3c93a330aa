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
from typing import Any

import pytest

from simulators import PROVIDERS, REALISTIC

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli() -> Iterator[subprocess.Popen[str]]:
    """The simulator CLI on free ports, killed if a test leaves it running."""
    process = start()
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


def stats(ready: dict[str, str]) -> dict[str, Any]:
    url = ready["control_url"] + "/_sim/stats"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL
        return dict(json.load(response))


def start(*flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - this repository's CLI, with test-chosen flags
        [sys.executable, "-m", "simulators", "--host", "127.0.0.1", *flags],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_pacing_flags_pace_every_provider() -> None:
    """--first-token-ms, --tokens-per-s and --answer-tokens set every provider's pacing."""
    process = start("--first-token-ms", "400", "--tokens-per-s", "80", "--answer-tokens", "300")
    try:
        paced = {p: s["pacing"] for p, s in stats(ready_line(process)).items()}
    finally:
        process.kill()
        process.communicate(timeout=10)
    expected = {"first_token_ms": 400, "tokens_per_s": 80.0, "answer_tokens": 300}
    assert paced == dict.fromkeys(PROVIDERS, expected)


def test_realistic_flag_paces_each_provider_like_its_model() -> None:
    """--realistic gives each provider its REALISTIC pacing; a number given overrides it."""
    process = start("--realistic", "--answer-tokens", "250")
    try:
        paced = {p: s["pacing"] for p, s in stats(ready_line(process)).items()}
    finally:
        process.kill()
        process.communicate(timeout=10)
    assert paced == {
        p: {**REALISTIC[p].to_json(), "answer_tokens": 250}  # type: ignore[index]
        for p in PROVIDERS
    }


def test_invalid_pacing_flag_is_a_usage_error() -> None:
    """A negative rate stops the CLI with status 2 and says which number is wrong."""
    process = start("--tokens-per-s", "-1")
    _, stderr = process.communicate(timeout=15)
    assert (process.returncode, "tokens_per_s" in stderr) == (2, True)
