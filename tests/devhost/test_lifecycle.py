"""Starting and stopping the host: clean shutdown, start failures, keys and the CLI."""

from __future__ import annotations

import gc
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devhost.__main__ import parse_args
from devhost.background import running_devhost
from devhost.host import DevHost
from tests.devhost import toy_app
from tests.devhost.conftest import FUNCTION_KEY, SYSTEM_KEY, TOY_APP, TOY_SETTINGS
from tests.devhost.http_client import call, poll

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_keys_are_generated_when_not_set() -> None:
    """Without DEVHOST_*_KEY settings the host makes its own, distinct keys."""
    host = DevHost(TOY_APP, settings={"DEVHOST_FUNCTION_KEY": "", "DEVHOST_ADMIN_KEY": ""})
    assert host.function_key
    assert host.admin_key
    assert host.function_key != host.admin_key


def test_the_base_url_needs_a_started_host() -> None:
    """There is no port before start()."""
    with pytest.raises(RuntimeError, match="not started"):
        _ = DevHost(TOY_APP).base_url


def test_port_comes_from_the_port_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """PORT sets the CLI's default port."""
    monkeypatch.setenv("PORT", "8123")
    assert parse_args([]).port == 8123


@pytest.mark.integration
def test_a_busy_port_fails_the_start_and_leaves_no_thread() -> None:
    """The bind error reaches the caller; nothing keeps running."""
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match="in use"), running_devhost(TOY_APP, port=port):
            pass
    assert not any(t.name == "devhost" for t in threading.enumerate())


@pytest.mark.integration
def test_stop_cancels_activities_and_timers_and_joins_promptly() -> None:
    """With a 60 s activity and a 1 h durable timer pending, stop takes well under a second."""
    with running_devhost(TOY_APP, settings=TOY_SETTINGS) as host:
        webhooks = f"{host.base_url}/runtime/webhooks/durabletask"
        call("POST", f"{webhooks}/orchestrators/sleeper?code={SYSTEM_KEY}")
        started = call(
            "POST",
            f"{host.base_url}/api/start/race",
            headers={"x-functions-key": FUNCTION_KEY},
            json_body={"delay_s": 60, "timeout_s": 60},
        ).json()
        poll(started["statusQueryGetUri"], lambda r: r.json()["runtimeStatus"] == "Running")
        assert 60 in toy_app.started_activities
        stopping = time.monotonic()
    elapsed = time.monotonic() - stopping
    gc.collect()  # surfaces any unclosed transport or session as a warning (an error here)
    assert elapsed < 1.0
    assert 60 in toy_app.cancelled_activities
    assert not any(t.name == "devhost" for t in threading.enumerate())


def _read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        lines.put(line)


@pytest.mark.integration
def test_the_cli_serves_prints_one_ready_line_and_exits_on_sigterm() -> None:
    """python -m devhost prints the URL and keys, serves, and stops cleanly on SIGTERM."""
    env = {**os.environ, "AzureWebJobs.tick.Disabled": "true", "PYTHONDONTWRITEBYTECODE": "1"}
    with subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-m", "devhost", "--app", TOY_APP, "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
        reader.start()
        try:
            ready = lines.get(timeout=30)
            found = re.match(r"devhost ready: (\S+) function_key=(\S+) admin_key=(\S+)$", ready)
            assert found, ready
            base_url, function_key, _ = found.groups()
            reply = call("GET", f"{base_url}/api/secret", headers={"x-functions-key": function_key})
            assert reply.status == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=5)
        stderr = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in stderr


@pytest.mark.integration
def test_the_cli_reports_a_bad_app_spec_without_a_traceback() -> None:
    """A module that does not exist is a one-line error and exit status 2."""
    result = subprocess.run(
        [sys.executable, "-m", "devhost", "--app", "no_such_module_for_devhost:app"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "devhost: error: cannot find module 'no_such_module_for_devhost'" in result.stderr
    assert "Traceback" not in result.stderr
