"""Escalation timing, give-ups and follow-ups through the dev host, in both topologies.

One host per topology for this module, with a short acknowledgement wait (3 s), a retry
window long enough (12 s) that a failing channel is still being retried when the wait ends,
and a "channel gave up" alert window of 10 s standing in for the shipped hour (each test
waits for its escalations to finish, so one test's give-up never holds back the next one's).
The clinical Teams webhook answers 410 Gone throughout (a revoked webhook), and e-mail works.
The figures these runs give (crisis to reminder, give-up to operations alert) are printed
with ``-s``; no test bounds wall-clock time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from devhost.topology import Topology
from tests.integration.conftest import TOPOLOGIES, HostedGateway, Services, start_hosted
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration

SELF_HARM = "I want to end my life"
TAKEN = "I have taken all my pills"
ACK_WAIT_S = 3.0
WINDOW_S = 12.0
SETTLE_S = 60.0
ESCALATION = {
    "ack_timeout_s": ACK_WAIT_S,
    "retry": {"first_delay_s": 0.2, "max_delay_s": 0.5, "window_s": WINDOW_S},
    "channel_alert_window_s": 10.0,
}


@pytest.fixture(scope="module", params=TOPOLOGIES, ids=[t.value for t in TOPOLOGIES])
def timing_host(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    services: Services,
) -> Iterator[HostedGateway]:
    """The app in each topology, with this module's escalation timings."""
    topology: Topology = request.param
    directory = tmp_path_factory.mktemp(f"timing-{topology.value}")
    retry = {"attempt_timeout_s": 2.0, **ESCALATION["retry"]}  # type: ignore[dict-item]
    gateway = start_hosted(topology, directory, services, escalation={**ESCALATION, "retry": retry})
    try:
        yield gateway
    finally:
        gateway.host.stop()


@pytest.fixture
def gateway(timing_host: HostedGateway) -> Iterator[HostedGateway]:
    """Healthy receivers, then the nurse team's Teams webhook revoked (410) for the test."""
    timing_host.reset()
    timing_host.webhook.fail_path("/clinical", 410)
    yield timing_host
    assert wait_for(lambda: all_finished(timing_host), timeout_s=WINDOW_S + SETTLE_S)
    timing_host.webhook.clear()


def all_finished(gateway: HostedGateway) -> bool:
    instances = gateway.instances("escalation_orchestrator")
    return all(i["runtimeStatus"] == "Completed" for i in instances)


def title(body: Any) -> str:
    return str(body["attachments"][0]["content"]["body"][0]["text"])


def facts(body: Any) -> dict[str, str]:
    return {f["title"]: f["value"] for f in body["attachments"][0]["content"]["body"][1]["facts"]}


def cards(gateway: HostedGateway, path: str) -> list[Any]:
    return [r for r in gateway.webhook.received if r.path == path]


def gave_up_cards(gateway: HostedGateway) -> list[Any]:
    return [r for r in cards(gateway, "/operations") if "gave up" in title(r.body)]


def audit_rows(gateway: HostedGateway, escalation_id: str) -> list[dict[str, Any]]:
    try:
        rows = gateway.table("escalations").query_entities(f"PartitionKey eq '{escalation_id}'")
        return [dict(r) for r in sorted(rows, key=lambda r: r["RowKey"])]
    except ResourceNotFoundError:
        return []


def escalation_id_from_mail(gateway: HostedGateway) -> str:
    mail = next(m for m in gateway.smtp.messages if m["To"] == "nurse-team@localhost")
    return str(mail["X-AskEve-Escalation"])


@pytest.mark.safety("H03")
def test_the_supervisor_is_reminded_while_the_teams_webhook_still_fails(
    gateway: HostedGateway,
) -> None:
    """E-mail reaches the nurse team, Teams keeps answering 410: the supervisor reminder
    comes one acknowledgement wait later, while Teams is still being retried."""
    sent = time.monotonic()
    reply = gateway.chat(SELF_HARM, f"conv-{uuid.uuid4().hex}")
    assert reply["failover"]["escalated"]
    assert wait_for(lambda: bool(cards(gateway, "/supervisor")), timeout_s=SETTLE_S)
    reminder = cards(gateway, "/supervisor")[0]
    assert title(reminder.body) == "A crisis escalation has not been acknowledged"
    assert wait_for(
        lambda: any(r.at > reminder.at for r in gateway.webhook.refused), timeout_s=SETTLE_S
    ), "the clinical Teams channel is retried after the reminder"
    assert not gave_up_cards(gateway) or gave_up_cards(gateway)[0].at > reminder.at
    print(
        f"\n[{gateway.topology.value}] crisis to supervisor reminder with Teams failing: "
        f"{reminder.at - sent:.2f} s (acknowledgement wait {ACK_WAIT_S} s, window {WINDOW_S} s)"
    )


@pytest.mark.safety("H03")
def test_a_channel_that_gives_up_alerts_operations_once_per_window(
    gateway: HostedGateway,
) -> None:
    """The revoked Teams webhook gives up in two escalations a moment apart: operations get
    one "gave up" card naming the channel and its last answer; the claim holds back the other."""
    for _ in range(2):
        gateway.chat(SELF_HARM, f"conv-{uuid.uuid4().hex}")
    assert wait_for(lambda: len(clinical_mail(gateway)) == 2, timeout_s=SETTLE_S)
    ids = [str(m["X-AskEve-Escalation"]) for m in clinical_mail(gateway)]
    for escalation_id in ids:
        assert wait_for(lambda e=escalation_id: finished(gateway, e), timeout_s=WINDOW_S + SETTLE_S)
    (card,) = gave_up_cards(gateway)
    assert title(card.body) == "Alert channel gave up: teams to the clinical team"
    assert facts(card.body)["Last result"] == "http 410"
    alerted = facts(card.body)["Original escalation"]
    assert alerted in ids
    gave_up = next(r for r in audit_rows(gateway, alerted) if r["event"] == "gave_up")
    offset = time.time() - time.monotonic()
    print(
        f"\n[{gateway.topology.value}] channel gave up to operations alert: "
        f"{card.at + offset - int(str(gave_up['RowKey'])[:20]) / 1e9:.2f} s"
    )
    assert all(any(r["event"] == "gave_up" for r in audit_rows(gateway, e)) for e in ids)


def clinical_mail(gateway: HostedGateway) -> list[Any]:
    return [m for m in gateway.smtp.messages if m["To"] == "nurse-team@localhost"]


def finished(gateway: HostedGateway, escalation_id: str) -> bool:
    instances = gateway.instances("escalation_orchestrator")
    mine = [i for i in instances if i.get("instanceId") == escalation_id]
    return bool(mine) and mine[0]["runtimeStatus"] == "Completed"


@pytest.mark.safety("H03")
def test_a_stronger_second_signal_reaches_the_nurse_team_as_a_follow_up(
    gateway: HostedGateway,
) -> None:
    """'I want to end my life', then 'I have taken all my pills' in the same conversation:
    a second clinical e-mail, a follow-up naming the first escalation."""
    conversation = f"conv-{uuid.uuid4().hex}"
    gateway.chat(SELF_HARM, conversation)
    assert wait_for(lambda: bool(clinical_mail(gateway)), timeout_s=SETTLE_S)
    first_id = escalation_id_from_mail(gateway)
    reply = gateway.chat(TAKEN, conversation)
    assert reply["failover"]["crisis"]
    assert wait_for(lambda: len(clinical_mail(gateway)) == 2, timeout_s=SETTLE_S)
    follow_up = clinical_mail(gateway)[1]
    assert str(follow_up["Subject"]) == "[Ask Eve] Ask Eve crisis follow-up: self harm"
    text = follow_up.get_content()
    assert f"Follow-up to: {first_id}" in text
    # The taxonomy names "taken all my pills" an overdose taken (self_harm.overdose_taken),
    # ranked an act.
    assert "Why: severity rose to an act, under way or done" in text
