"""A stopping process loses no audit record: SIGTERM to a dev host process under load.

The dev host runs as its own OS process (``python -m devhost``), as the worker does in Azure.
It is stopped with SIGTERM while requests are being answered and their audit rows are still
queued in its memory. With the default drain the rows are written before it exits. With
``ASKEVE_SHUTDOWN_DRAIN_S=0`` nothing is written during the drain, so every queued row must
take the records outbox; a second process (a restarted instance) moves them to the table
through its ``records_outbox`` queue trigger."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from azure.data.tables import TableClient

from devhost import azurite
from simulators.harness import SimulatedProviders, app_settings
from simulators.receivers import SmtpReceiver, WebhookReceiver, receiver_settings
from tests.integration.conftest import (
    ADMIN_KEY,
    FUNCTION_KEY,
    HOST_SETTINGS,
    SIM_KEY,
    HostedGateway,
    write_config,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
QUESTION = "What is a smear test?"
_SPILLED = re.compile(r"(\d+) records queued in the outbox")


class HostProcess:
    """``python -m devhost`` with its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = azurite.free_port()
        self.log = log
        self._output = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "devhost", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60.0
        while "devhost ready" not in log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dev host did not start:\n{log.read_text()}")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def terminate(self) -> int:
        """SIGTERM, then wait for the process to end; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self._output.close()
        return code


@pytest.fixture
def own_storage() -> Iterator[str]:
    """An Azurite of this test's own: the session's hosts also read the ``records-outbox``
    queue, and one of them would otherwise write this test's rows to its own audit table."""
    service = azurite.start(azurite.free_port(), reuse=False)
    try:
        yield service.connection_string
    finally:
        service.stop()


@pytest.fixture
def host_env(
    tmp_path: Path,
    sims: SimulatedProviders,
    webhook: WebhookReceiver,
    smtp: SmtpReceiver,
    own_storage: str,
) -> dict[str, str]:
    """The settings of one dev host process: the test's services, its own storage."""
    sims.clear()
    smtp.start()
    config_dir = write_config(tmp_path, tier_timeout_s=2.0, budget_s=8.0, open_s=30.0)
    return {
        **os.environ,
        **HOST_SETTINGS,
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
        "AzureWebJobsStorage": own_storage,
        "AUDIT_TABLE_NAME": "audit" + uuid.uuid4().hex[:12],
        "BREAKER_TABLE_NAME": "breakers" + uuid.uuid4().hex[:12],
        "ESCALATION_TABLE_NAME": "escalations" + uuid.uuid4().hex[:12],
        "DURABLE_TASK_HUB_NAME": "shutdown",
        "ASKEVE_CONFIG_DIR": str(config_dir),
        "ASKEVE_STATUS_POLL_INTERVAL_MS": "5",
        "PSEUDONYM_KEY": uuid.uuid4().hex,
        "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
        "DEVHOST_ADMIN_KEY": ADMIN_KEY,
        **app_settings(sims.urls, SIM_KEY),
        **receiver_settings(webhook, smtp),
    }


def _load(url: str, answered: list[str], stop: threading.Event) -> None:
    """Ask questions back to back until stopped or the host stops answering."""
    session = requests.Session()
    while not stop.is_set():
        try:
            response = session.post(
                f"{url}/api/chat",
                json={"messages": [{"role": "user", "content": QUESTION}]},
                headers={"x-functions-key": FUNCTION_KEY},
                timeout=30.0,
            )
        except requests.RequestException:
            return
        if response.status_code != 200:
            return
        answered.append(str(response.json()["id"]))


def _audited(connection: str, table: str) -> set[str]:
    with TableClient.from_connection_string(connection, table) as client:
        try:
            return {str(e["request_id"]) for e in client.query_entities("kind eq 'chat'")}
        except Exception:  # noqa: BLE001 - the table may not exist yet
            return set()


def _answer_then_sigterm(url: str, terminate: Callable[[], int]) -> list[str]:
    """Six clients ask ``url`` back to back; once 30 answers are in, ``terminate`` (a SIGTERM
    that waits for the exit code) must end the process cleanly. The ids answered."""
    answered: list[str] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=_load, args=(url, answered, stop), daemon=True) for _ in range(6)
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60.0
    while len(answered) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert terminate() == 0
    stop.set()
    for worker in workers:
        worker.join(60.0)
    assert len(answered) >= 30
    return answered


def _missing(host_env: dict[str, str], answered: list[str], timeout_s: float) -> set[str]:
    """The answered ids with no audit row, once they are all there or ``timeout_s`` passed."""
    connection, table = host_env["AzureWebJobsStorage"], host_env["AUDIT_TABLE_NAME"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not set(answered) <= _audited(connection, table):
        time.sleep(0.2)
    return set(answered) - _audited(connection, table)


def test_sigterm_under_load_drains_every_audit_row_to_the_table(host_env: dict[str, str]) -> None:
    """With the default drain, every request answered before or during the SIGTERM has its
    audit row in the table when the process has exited."""
    host = HostProcess(host_env, Path(host_env["ASKEVE_CONFIG_DIR"]) / "host.log")
    answered = _answer_then_sigterm(host.url, host.terminate)
    assert "0 records queued in the outbox, 0 logged" in host.log.read_text()
    missing = _missing(host_env, answered, timeout_s=10.0)
    assert not missing, f"{len(missing)} of {len(answered)} answered requests have no audit row"


def test_rows_not_written_at_sigterm_reach_the_table_through_the_outbox(
    host_env: dict[str, str],
) -> None:
    """With no time to drain, the queued rows take the records outbox, and a restarted
    process writes them: every answered request has its audit row."""
    # The first process gathers its rows into one batch for 60 s, so they are certainly still
    # in memory at SIGTERM, however fast or slow the machine is.
    lingering = Path(host_env["ASKEVE_CONFIG_DIR"]) / "lingering"
    lingering.mkdir()
    for file in Path(host_env["ASKEVE_CONFIG_DIR"]).glob("*.json"):
        shutil.copy(file, lingering / file.name)
    observability = lingering / "observability-config.json"
    document = json.loads(observability.read_text())
    document["audit"]["batch_linger_s"] = 60
    observability.write_text(json.dumps(document))
    first = HostProcess(
        {**host_env, "ASKEVE_SHUTDOWN_DRAIN_S": "0", "ASKEVE_CONFIG_DIR": str(lingering)},
        Path(host_env["ASKEVE_CONFIG_DIR"]) / "first.log",
    )
    answered = _answer_then_sigterm(first.url, first.terminate)
    spilled = _SPILLED.search(first.log.read_text())
    assert spilled is not None, "the stopping process reports its outbox"
    assert int(spilled.group(1)) >= len(answered), "every answered row took the outbox"

    # A restarted instance: its records_outbox trigger moves the rows to the table.
    second = HostProcess(host_env, Path(host_env["ASKEVE_CONFIG_DIR"]) / "second.log")
    try:
        missing = _missing(host_env, answered, timeout_s=30.0)
    finally:
        second.terminate()
    assert not missing, f"{len(missing)} of {len(answered)} answered requests have no audit row"


def test_sigterm_to_the_flex_http_process_under_load_loses_no_audit_row(
    start_flex_host: Callable[..., HostedGateway],
) -> None:
    """Flex: chat audit rows queue in the ``http`` process; a SIGTERM to that process under
    load still leaves every answered request with its audit row in the table."""
    gateway = start_flex_host()
    http = gateway.host.of("http").process

    def terminate() -> int:
        http.send_signal(signal.SIGTERM)
        return http.wait(timeout=60)

    answered = _answer_then_sigterm(gateway.url, terminate)
    missing = _missing(
        {"AzureWebJobsStorage": gateway.storage, "AUDIT_TABLE_NAME": gateway.tables["audit"]},
        answered,
        timeout_s=10.0,
    )
    assert not missing, f"{len(missing)} of {len(answered)} answered requests have no audit row"
