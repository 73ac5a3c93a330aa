"""The nurse view behind the alert's link, on dev host processes in both topologies (in Flex
the view and the outcome are served by the http process and the acknowledgement they raise is
taken by the Durable process): the case, the last turns with ESCALATION_SHOW_MESSAGES on,
every view audited, and an outcome that acknowledges and is counted on the status page."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from devhost import azurite
from devhost.processes import start_host
from devhost.topology import Topology
from tests.integration.conftest import (
    ADMIN_KEY,
    FUNCTION_KEY,
    TOPOLOGIES,
    Gateway,
    HostedGateway,
    Services,
    hosted_settings,
    write_config,
)
from tests.integration.test_ack_link_e2e import card_link, link_settings, second_region, token_of
from tests.integration.test_chat_e2e import wait_for
from tests.integration.test_crisis_e2e import SELF_HARM, clinical_cards

pytestmark = pytest.mark.integration

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
EARLIER = "My sister has just been diagnosed and I live at 14 Harbour View"
# Long enough that only the nurse can end the escalation within a test.
ACK_TIMEOUT_S = 120.0


@pytest.fixture(scope="module", params=TOPOLOGIES, ids=[t.value for t in TOPOLOGIES])
def viewed_gateway(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    services: Services,
) -> Iterator[HostedGateway]:
    """The app in each topology with signed links and ESCALATION_SHOW_MESSAGES on."""
    topology: Topology = request.param
    directory = tmp_path_factory.mktemp(f"nurse-view-{topology.value}")
    services.smtp.start()
    config_dir = write_config(
        directory, tier_timeout_s=0.6, budget_s=4.0, open_s=30.0, ack_timeout_s=ACK_TIMEOUT_S
    )
    kinds = ("audit", "breakers", "escalations", "health")
    tables = {kind: kind + uuid.uuid4().hex[:12] for kind in kinds}
    env = {
        **hosted_settings(config_dir, services, tables),
        "ACK_LINK_KEY": "nurse-view-link-key-" + uuid.uuid4().hex,
        "ACK_BASE_URL": "https://gateway.invalid",
        "ACK_REGION": "uksouth",
        "ESCALATION_SHOW_MESSAGES": "true",
    }
    gateway = HostedGateway(
        start_host(topology, env=env),
        services.sims,
        services.webhook,
        services.smtp,
        tables,
        services.storage,
    )
    try:
        yield gateway
    finally:
        gateway.host.stop()


def conversation() -> dict[str, Any]:
    """A three-turn conversation ending in a crisis message, in a conversation of its own."""
    return {
        "messages": [
            {"role": "user", "content": EARLIER},
            {"role": "assistant", "content": "I'm sorry to hear that."},
            {"role": "user", "content": SELF_HARM},
        ],
        "metadata": {"conversation_id": "conv-nurse-" + uuid.uuid4().hex[:8]},
    }


def raise_crisis(gateway: HostedGateway) -> str:
    """Send :func:`conversation`; the token of its card's link."""
    gateway.reset()
    reply = gateway.post("/api/chat", conversation(), key=FUNCTION_KEY)
    assert reply.status_code == 200, reply.text
    assert wait_for(lambda: bool(clinical_cards(gateway)), 20.0)  # type: ignore[arg-type]
    (action,) = clinical_cards(gateway)[0]["attachments"][0]["content"]["actions"]  # type: ignore[arg-type]
    link = urlsplit(action["url"])
    return str(parse_qs(link.fragment or link.query)["token"][0])


def audit_rows(gateway: HostedGateway, escalation_id: str) -> list[dict[str, Any]]:
    rows = gateway.table("escalations").query_entities(f"PartitionKey eq '{escalation_id}'")
    return [dict(r) for r in rows if r["RowKey"] != "case"]


def post(base_url: str, path: str, **form: str) -> requests.Response:
    return requests.post(f"{base_url}{path}", data=form, headers=BROWSER, timeout=30.0)


@pytest.mark.safety("H03", "H25")
def test_the_view_shows_the_case_and_the_last_turns_only_on_request(
    viewed_gateway: HostedGateway,
) -> None:
    """GET on the link shows the case and three turns but no text; the audited post from the
    view shows the last turns; each view is an audit row that carries no text."""
    token = raise_crisis(viewed_gateway)
    escalation_id = token.split(".", maxsplit=1)[0]
    opened = requests.get(
        f"{viewed_gateway.url}/api/ack", params={"token": token}, headers=BROWSER, timeout=30.0
    )
    assert opened.status_code == 200, opened.text
    assert "Turns in the conversation</th><td>3<" in opened.text
    assert "Harbour View" not in opened.text
    shown = post(viewed_gateway.url, "/api/ack/view", token=token)
    assert shown.status_code == 200, shown.text
    assert "14 Harbour View" in shown.text
    viewed = [r for r in audit_rows(viewed_gateway, escalation_id) if r["event"] == "viewed"]
    assert [r["messages"] for r in viewed] == [False, True]
    assert "Harbour View" not in json.dumps(viewed, default=str)


@pytest.mark.safety("H03", "H25")
def test_an_outcome_acknowledges_and_is_counted_on_the_status_page(
    viewed_gateway: HostedGateway,
) -> None:
    """Recording ``contacted`` completes the escalation as acknowledged (no supervisor
    reminder), writes an outcome row and shows in status.json's outcome counts."""
    token = raise_crisis(viewed_gateway)
    escalation_id = token.split(".", maxsplit=1)[0]
    recorded = post(viewed_gateway.url, "/api/ack/outcome", token=token, outcome="contacted")
    assert recorded.status_code == 200, recorded.text
    assert "Outcome recorded" in recorded.text

    def finished() -> list[dict[str, Any]]:
        found = viewed_gateway.instances("escalation_orchestrator")
        return [
            i
            for i in found
            if i["instanceId"] == escalation_id and i["runtimeStatus"] == "Completed"
        ]

    assert wait_for(lambda: bool(finished()), 20.0)
    assert finished()[0]["output"]["acknowledged"] is True
    outcomes = [r for r in audit_rows(viewed_gateway, escalation_id) if r["event"] == "outcome"]
    assert [r["outcome"] for r in outcomes] == ["contacted"]

    def counted() -> bool:
        report = viewed_gateway.get("/api/status.json", key=ADMIN_KEY).json()
        rows = [e for e in report["escalations"] if e["id"] == escalation_id]
        return bool(rows) and rows[0]["outcomes"] == ["contacted"]

    assert wait_for(counted, 30.0)
    assert (
        viewed_gateway.get("/api/status.json", key=ADMIN_KEY).json()["escalation_outcomes"][
            "contacted"
        ]
        >= 1
    )
    assert not [r for r in viewed_gateway.webhook.received if r.path == "/supervisor"]


@pytest.mark.safety("H03")
def test_the_view_of_another_regions_escalation_comes_from_that_region(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Two hosts, two escalations tables: a uksouth link opened on the ukwest host shows the
    case and, on request, the last turns, read and audited in uksouth."""
    port, west_port = azurite.free_port(), azurite.free_port()
    url, west_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{west_port}"
    regions = {"uksouth": url, "ukwest": west_url}
    gateway = start_gateway(
        port=port,
        ack_timeout_s=ACK_TIMEOUT_S,
        extra={**link_settings(url, "uksouth", regions), "ESCALATION_SHOW_MESSAGES": "on"},
        host_settings={"DURABLE_TASK_HUB_NAME": "uksouthhub"},
    )
    reply = gateway.post("/api/chat", conversation())
    assert reply.status_code == 200, reply.text
    assert wait_for(lambda: bool(clinical_cards(gateway)), 20.0)
    token = token_of(card_link(gateway))
    with second_region(gateway, west_port, regions) as west:
        opened = requests.get(
            f"{west}/api/ack", params={"token": token}, headers=BROWSER, timeout=30.0
        )
        shown = post(west, "/api/ack/view", token=token)
    assert "Turns in the conversation</th><td>3<" in opened.text
    assert "14 Harbour View" in shown.text
    escalation_id = token.split(".", maxsplit=1)[0]
    viewed = [
        r for r in gateway.runtime.escalator.store.history(escalation_id) if r["event"] == "viewed"
    ]
    assert [r["messages"] for r in viewed] == [False, True]


@contextmanager
def durable_backend_failing(gateway: HostedGateway) -> Iterator[None]:
    """The dev host's Durable HTTP API answers 500 with the extension's JSON error body (the
    engine keeps running its instances), until the block ends."""
    switch = f"{gateway.url}/runtime/webhooks/durabletask/_devhost/fault"
    headers = {"x-functions-key": ADMIN_KEY}
    turned_on = requests.put(switch, json={"status": 500}, headers=headers, timeout=30.0)
    assert turned_on.status_code == 200, turned_on.text
    try:
        yield
    finally:
        requests.delete(switch, headers=headers, timeout=30.0).raise_for_status()


@pytest.mark.safety("H03")
def test_with_the_durable_backend_failing_the_page_says_try_again_and_the_retry_works(
    viewed_gateway: HostedGateway,
) -> None:
    """While the Durable API answers 500, acknowledging and recording an outcome are 503 pages
    that say to try again in a minute (never "no such escalation", never a 500), and nothing is
    claimed: once the backend is back, the same link acknowledges."""
    token = raise_crisis(viewed_gateway)
    escalation_id = token.split(".", maxsplit=1)[0]
    with durable_backend_failing(viewed_gateway):
        acknowledged = post(viewed_gateway.url, "/api/ack", token=token)
        recorded = post(viewed_gateway.url, "/api/ack/outcome", token=token, outcome="contacted")
    for page in (acknowledged, recorded):
        assert page.status_code == 503, page.text
        assert "Try again in a minute" in page.text
    events = [r["event"] for r in audit_rows(viewed_gateway, escalation_id)]
    assert "acknowledged" not in events
    assert "outcome" not in events
    retry = post(viewed_gateway.url, "/api/ack", token=token)
    assert retry.status_code == 200, retry.text
    assert "Acknowledged" in retry.text
