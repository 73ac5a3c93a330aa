"""A failing Durable backend, through the dev host in both topologies: its Durable HTTP API
answers every request with a 500 and the extension's JSON error body (``DEVHOST_DURABLE_FAULT``).

Readiness fails; a crisis message still gets its crisis reply; the escalation is delivered
through the ``escalation-fallback`` queue with retries (Teams failing once, then recovering)
and the supervisor reminder fires from the scheduled queue message; a message the trigger
cannot process goes to the poison queue, whose trigger gives up and alerts operations.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from devhost import azurite
from devhost.durable_api import FAULT_SETTING
from devhost.hostjson import QUEUE_OVERRIDE_PREFIX
from devhost.processes import start_host
from devhost.topology import Topology
from shared.platform import FALLBACK_QUEUE
from simulators.harness import SimulatedProviders
from simulators.receivers import SmtpReceiver, WebhookReceiver
from tests.integration.conftest import (
    TOPOLOGIES,
    HostedGateway,
    Services,
    hosted_settings,
    write_config,
)
from tests.integration.test_chat_e2e import wait_for

# Each topology starts its own Azurite and host processes inside the first test's setup, which
# takes more than the default 120 s on a loaded two-core machine.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SELF_HARM = "I can't go on anymore, I want to end my life"
# The queue trigger's settings for these tests: a failed run is retried at once and poisoned
# after two runs, and an idle queue is polled at least every half second.
QUEUE_SETTINGS = {
    f"{QUEUE_OVERRIDE_PREFIX}visibilityTimeout": "00:00:00",
    f"{QUEUE_OVERRIDE_PREFIX}maxDequeueCount": "2",
    f"{QUEUE_OVERRIDE_PREFIX}maxPollingInterval": "00:00:00.5",
}
# Short escalation timings: a retry after 1 s (the queue's whole-second delay), a window wide
# enough for a loaded machine, the supervisor reminded 2 s after the first delivery.
ESCALATION_RETRY = {"first_delay_s": 0.5, "max_delay_s": 1.0, "window_s": 60.0}
ACK_TIMEOUT_S = 2.0


def start_failing(topology: Topology, directory: Path, services: Services) -> HostedGateway:
    """The app on dev host processes whose Durable backend fails from the start."""
    config_dir = write_config(
        directory, tier_timeout_s=0.6, budget_s=4.0, open_s=30.0, ack_timeout_s=ACK_TIMEOUT_S
    )
    escalation = config_dir / "escalation-config.json"
    data = json.loads(escalation.read_text())
    data["retry"].update(ESCALATION_RETRY)
    escalation.write_text(json.dumps(data))
    kinds = ("audit", "breakers", "escalations", "health")
    tables = {kind: kind + uuid.uuid4().hex[:12] for kind in kinds}
    env = {
        **hosted_settings(config_dir, services, tables),
        FAULT_SETTING: "500",
        **QUEUE_SETTINGS,
    }
    host = start_host(topology, env=env)
    return HostedGateway(
        host, services.sims, services.webhook, services.smtp, tables, services.storage
    )


@pytest.fixture(scope="module", params=TOPOLOGIES, ids=[t.value for t in TOPOLOGIES])
def failing(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sims: SimulatedProviders,
    webhook: WebhookReceiver,
    smtp: SmtpReceiver,
) -> Iterator[HostedGateway]:
    """Per topology: an Azurite of its own (its queues are no other host's) and the app."""
    topology: Topology = request.param
    storage = azurite.start(azurite.free_port(), reuse=False)
    smtp.start()
    try:
        services = Services(storage.connection_string, sims, webhook, smtp)
        directory = tmp_path_factory.mktemp(f"durable-down-{topology.value}")
        gateway = start_failing(topology, directory, services)
        try:
            yield gateway
        finally:
            gateway.host.stop()
    finally:
        storage.stop()


def queued(storage: str) -> int:
    """Messages on the fallback queue and its poison queue, hidden ones included."""
    total = 0
    for name in (FALLBACK_QUEUE, f"{FALLBACK_QUEUE}-poison"):
        with QueueClient.from_connection_string(storage, name) as queue:
            try:
                total += queue.get_queue_properties().approximate_message_count
            except ResourceNotFoundError:
                continue
    return total


@pytest.fixture
def gateway(failing: HostedGateway) -> HostedGateway:
    """The failing-backend host, once the last test's escalation steps are done (every step
    puts the next before its own message is deleted), with empty receivers."""
    assert wait_for(lambda: queued(failing.storage) == 0, timeout_s=60.0)
    failing.webhook.clear()
    failing.smtp.start()
    failing.smtp.clear()
    failing.sims.clear()
    return failing


def cards(gateway: HostedGateway, path: str) -> list[dict[str, Any]]:
    return [r.body for r in gateway.webhook.received if r.path == path]


def card_facts(card: dict[str, Any]) -> dict[str, str]:
    body = card["attachments"][0]["content"]["body"]
    return {f["title"]: f["value"] for f in body[1]["facts"]}


def events(gateway: HostedGateway, escalation_id: str) -> list[tuple[str, str]]:
    rows = gateway.table("escalations").query_entities(f"PartitionKey eq '{escalation_id}'")
    ordered = sorted(rows, key=lambda r: r["RowKey"])
    return [(str(r["event"]), str(r.get("channel", ""))) for r in ordered]


@pytest.mark.safety("H03")
def test_readiness_is_503_while_the_task_hub_cannot_be_read(gateway: HostedGateway) -> None:
    """Front Door's probe gets 503 with the Durable backend reported unreachable."""
    response = requests.get(f"{gateway.url}/api/health/ready", timeout=30.0)
    assert response.status_code == 503
    assert response.json()["durable"] == "unreachable"


@pytest.mark.safety("H01")
def test_a_crisis_message_still_gets_its_crisis_reply(gateway: HostedGateway) -> None:
    """With the Durable backend failing, the crisis reply is the pre-approved text at once,
    and its escalation reaches the nurse team through the fallback queue (whether the start
    finished inside the reply's 0.5 s wait is timing, not the behaviour)."""
    data = gateway.chat(SELF_HARM, "conv-durable-down-" + uuid.uuid4().hex[:8])
    assert data["failover"]["crisis"] is True
    assert "116 123" in data["choices"][0]["message"]["content"]
    assert wait_for(lambda: bool(cards(gateway, "/clinical")), timeout_s=60.0)


@pytest.mark.safety("H03")
def test_the_escalation_is_retried_through_the_queue_and_the_supervisor_reminded(
    gateway: HostedGateway,
) -> None:
    """Teams fails once, then delivers on the queued retry; email is sent once; with no
    acknowledgement the supervisor is reminded from the scheduled queue message."""
    gateway.webhook.fail_next(1)
    gateway.chat(SELF_HARM, "conv-durable-down-" + uuid.uuid4().hex[:8])
    assert wait_for(lambda: bool(cards(gateway, "/clinical")), timeout_s=60.0)
    assert wait_for(lambda: bool(cards(gateway, "/supervisor")), timeout_s=60.0)
    escalation_id = card_facts(cards(gateway, "/clinical")[0])["Escalation"]
    assert gateway.webhook.failed == 1
    assert len(cards(gateway, "/clinical")) == 1
    assert [m["To"] for m in gateway.smtp.messages].count("nurse-team@localhost") == 1
    rows = events(gateway, escalation_id)
    assert ("delivery_failed", "teams") in rows
    assert ("delivered", "teams") in rows
    assert ("ack_overdue", "") in rows
    reminder = card_facts(cards(gateway, "/supervisor")[0])
    assert reminder["Original escalation"] == escalation_id


@pytest.mark.safety("H03")
def test_a_message_the_trigger_cannot_process_is_poisoned_and_operations_alerted(
    gateway: HostedGateway,
) -> None:
    """A step that fails every run goes to the poison queue; its trigger alerts operations."""
    with QueueClient.from_connection_string(
        gateway.storage, FALLBACK_QUEUE, message_encode_policy=TextBase64EncodePolicy()
    ) as queue:
        queue.send_message(json.dumps({"step": "deliver", "escalation": {"id": "broken"}}))
    assert wait_for(lambda: bool(cards(gateway, "/operations")), timeout_s=60.0)
    titles = [str(card) for card in cards(gateway, "/operations")]
    assert any("could not be read" in title for title in titles)
