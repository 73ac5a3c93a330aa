"""Alerts, escalations, breakers and audit end to end, in both dev host topologies.

``single`` serves the app from one process; ``flex`` runs it as Flex Consumption does, one
process per function group (HTTP, Durable, each timer) sharing one Azurite, with the Durable
engine reached over its HTTP API. One host per topology serves the whole session.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from devhost.topology import Topology
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import ADMIN_KEY, FLEX_HOP_MS, HostedGateway
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration

QUESTION = "What are the early signs of womb cancer?"
SELF_HARM = "I can't go on anymore, I want to end my life"
ALERT_WITHIN_S = 10.0
# A process of the Flex topology builds its runtime on its first call (SDKs, config, tables);
# on a busy machine that alone can take seconds, so effects are awaited generously.
SETTLE_S = 60.0
TRIP_ATTEMPTS = 10


@pytest.fixture
def gateway(hosted_gateway: HostedGateway) -> HostedGateway:
    """The session's host for this topology, reset to healthy providers and closed breakers."""
    hosted_gateway.reset()
    return hosted_gateway


def breaker_state(gateway: HostedGateway, tier: str) -> str:
    listing = gateway.get("/api/breakers", key=ADMIN_KEY)
    assert listing.status_code == 200, listing.text
    return str(next(b["state"] for b in listing.json()["breakers"] if b["provider"] == tier))


def operations_titles(gateway: HostedGateway) -> list[str]:
    return [
        str(r.body["attachments"][0]["content"]["body"][0]["text"])
        for r in gateway.webhook.received
        if r.path == "/operations"
    ]


def trip_tier1(gateway: HostedGateway) -> None:
    """Chat traffic against a failing tier 1 until its breaker is seen open (three failures
    trip it; a few more requests are allowed for outcomes still being written)."""
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    for _ in range(TRIP_ATTEMPTS):
        reply = gateway.chat(QUESTION)
        assert reply["failover"]["tier"] > 1, "tier 1 is failing"
        if wait_for(lambda: breaker_state(gateway, "openai") == "open", timeout_s=0.5):
            return
    assert wait_for(lambda: breaker_state(gateway, "openai") == "open", timeout_s=SETTLE_S)


def facts(card: dict[str, Any]) -> dict[str, str]:
    body = card["attachments"][0]["content"]["body"]
    return {f["title"]: f["value"] for f in body[1]["facts"]}


def test_flex_runs_each_function_group_in_a_process_of_its_own(
    hosted_gateway: HostedGateway,
) -> None:
    """Flex: HTTP, Durable, each timer and each queue trigger are separate OS processes;
    single: one process."""
    processes = hosted_gateway.host.processes
    if hosted_gateway.topology is Topology.SINGLE:
        assert list(processes) == ["single"]
        return
    assert set(processes) == {
        "http",
        "durable",
        "function:health_check",
        "function:secret_rotation",
        "function:audit_retention",
        "function:task_hub_retention",
        "function:operations_alert",
        "function:records_outbox",
        "function:escalation_fallback",
        "function:escalation_fallback_poison",
    }
    assert len({p.process.pid for p in processes.values()}) == len(processes)


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_flex_hosts_wait_at_every_durable_hop_as_the_default_backend_does(
    hosted_gateway: HostedGateway,
) -> None:
    """Every Flex process runs with the Durable Task Scheduler's hop delay, so the suite's
    Flex tests meet the queue waits of Azure's default backend; single stays at 0."""
    for process in hosted_gateway.host.processes.values():
        hop = _environment(process.process.pid).get("DEVHOST_DURABLE_HOP_MS", "0")
        expected = FLEX_HOP_MS if hosted_gateway.topology is Topology.FLEX else "0"
        assert hop == expected


def test_chat_traffic_against_a_failing_tier1_opens_its_breaker(gateway: HostedGateway) -> None:
    """Three failures recorded by the activity open tier 1's breaker; chat then skips it."""
    trip_tier1(gateway)
    calls = gateway.sims.count("openai")

    def skipped() -> bool:
        attempts = gateway.chat(QUESTION)["failover"]["attempts"]
        return bool(attempts[0]["outcome"] == "breaker_open")

    assert wait_for(skipped, timeout_s=SETTLE_S)
    assert gateway.sims.count("openai") == calls, "an open breaker sends nothing to the provider"


@pytest.mark.safety("H11")
def test_a_breaker_trip_from_chat_alerts_operations_without_another_request(
    gateway: HostedGateway,
) -> None:
    """The provider-failure alert reaches the operations webhook within 10 s of the trip,
    though the trip is recorded in the Durable process and no chat request follows it."""
    trip_tier1(gateway)
    requests_sent = gateway.sims.count("openai") + gateway.sims.count("azure_openai")
    assert wait_for(
        lambda: any("[provider-failure]" in t for t in operations_titles(gateway)),
        timeout_s=ALERT_WITHIN_S,
    )
    assert gateway.sims.count("openai") + gateway.sims.count("azure_openai") == requests_sent


def test_operators_force_a_breaker_open_and_closed_for_every_process(
    gateway: HostedGateway,
) -> None:
    """An operator's open stops calls to tier 1 and a close restores them."""
    opened = gateway.post("/api/breakers/openai/open", b"", key=ADMIN_KEY)
    assert opened.status_code == 200
    attempts = gateway.chat(QUESTION)["failover"]["attempts"]
    assert attempts[0]["outcome"] == "breaker_open"
    assert gateway.sims.count("openai") == 0
    closed = gateway.post("/api/breakers/openai/close", b"", key=ADMIN_KEY)
    assert closed.json()["state"] == "closed"
    assert wait_for(
        lambda: gateway.chat(QUESTION)["failover"]["provider"] == "openai", timeout_s=SETTLE_S
    )


def test_a_crisis_escalates_to_teams_and_email(gateway: HostedGateway) -> None:
    """The durable escalation delivers the clinical card and the e-mail."""
    reply = gateway.chat(SELF_HARM, f"conv-{uuid.uuid4().hex}")
    assert reply["failover"]["escalated"]
    assert wait_for(
        lambda: any(r.path == "/clinical" for r in gateway.webhook.received), timeout_s=SETTLE_S
    )
    assert wait_for(lambda: bool(gateway.smtp.messages), timeout_s=SETTLE_S)


def test_an_acknowledged_escalation_completes_and_reminds_no_one(gateway: HostedGateway) -> None:
    """The nurse's acknowledgement (an event raised through the public port) ends it."""
    gateway.chat(SELF_HARM, f"conv-{uuid.uuid4().hex}")
    assert wait_for(
        lambda: any(r.path == "/clinical" for r in gateway.webhook.received), timeout_s=SETTLE_S
    )
    card = next(r.body for r in gateway.webhook.received if r.path == "/clinical")
    escalation_id = facts(card)["Escalation"]
    ack = gateway.post(f"/api/escalations/{escalation_id}/ack", b"", key=ADMIN_KEY)
    assert ack.status_code == 200, ack.text

    def completed() -> bool:
        instances = gateway.instances("escalation_orchestrator")
        mine = [i for i in instances if escalation_id in str(i.get("input"))]
        return bool(mine) and mine[0]["runtimeStatus"] == "Completed"

    assert wait_for(completed, timeout_s=SETTLE_S)
    assert not [r for r in gateway.webhook.received if r.path == "/supervisor"]


def test_every_answered_request_has_its_audit_row(gateway: HostedGateway) -> None:
    """Each chat answer (tier 1, after failover, crisis) is a row in the audit table."""
    ids = [gateway.chat(QUESTION)["id"]]
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    ids.append(gateway.chat(QUESTION)["id"])
    ids.append(gateway.chat(SELF_HARM, f"conv-{uuid.uuid4().hex}")["id"])
    table = gateway.table("audit")

    def audited() -> set[str]:
        try:
            rows = list(table.query_entities("kind eq 'chat'", select=["request_id"]))
        except ResourceNotFoundError:  # the first write creates the table
            return set()
        return {str(r["request_id"]) for r in rows} & set(ids)

    assert wait_for(lambda: audited() == set(ids), timeout_s=SETTLE_S)


def test_an_operator_runs_a_timer_through_the_public_port(gateway: HostedGateway) -> None:
    """POST /admin/functions/health_check runs the check wherever the timer lives."""
    started = time.time()
    run = gateway.post("/admin/functions/health_check", b"", key=ADMIN_KEY)
    assert run.status_code == 202, run.text
    table = gateway.table("health")

    def checked() -> bool:
        try:
            rows = list(table.list_entities())
        except ResourceNotFoundError:  # the first run creates the table
            return False
        return any(r.metadata["timestamp"].timestamp() >= started - 5 for r in rows)

    assert wait_for(checked, timeout_s=SETTLE_S)


@pytest.mark.safety("H10")
def test_no_status_poll_in_the_chat_path_receives_the_input(gateway: HostedGateway) -> None:
    """The trigger's status polls (in Flex, from the http process across to the Durable
    process) ask for the status without the input, and get none."""

    def reads() -> dict[str, int]:
        reply = gateway.get("/runtime/webhooks/durabletask/_devhost/status-reads", key=ADMIN_KEY)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    before = reads()
    for _ in range(5):
        assert gateway.chat(QUESTION)["failover"]["provider"] == "openai"
    after = reads()
    assert after["total"] - before["total"] >= 5, "the chats were answered by polling"
    assert after["withInput"] == before["withInput"]
