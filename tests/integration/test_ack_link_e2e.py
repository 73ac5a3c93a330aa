"""Acknowledging a crisis escalation from the alert itself: the signed link in the Teams card and
the email, on the dev host, with the loopback receivers; and across two regions' hosts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from devhost import azurite
from tests.integration.conftest import HOST_SETTINGS, Gateway
from tests.integration.test_chat_e2e import wait_for
from tests.integration.test_crisis_e2e import SELF_HARM, clinical_cards

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
LINK_KEY = "ack-link-key-for-tests-" + "0" * 16
CONVERSATION = "conv-ack-link-5b2c"
# Long enough that only an acknowledgement can end the wait within the test.
ACK_TIMEOUT_S = 120.0


def link_settings(
    base_url: str, region: str, regions: dict[str, str] | None = None
) -> dict[str, str]:
    return {
        "ACK_LINK_KEY": LINK_KEY,
        "ACK_BASE_URL": base_url,
        "ACK_REGION": region,
        "ACK_REGION_URLS": ",".join(f"{r}={u}" for r, u in (regions or {}).items()),
    }


def start_linked(start_gateway: Callable[..., Gateway], **regions: str) -> Gateway:
    """A gateway in region ``uksouth`` whose crisis alerts carry acknowledgement links."""
    port = azurite.free_port()
    url = f"http://127.0.0.1:{port}"
    return start_gateway(
        port=port,
        ack_timeout_s=ACK_TIMEOUT_S,
        extra=link_settings(url, "uksouth", {"uksouth": url, **regions}),
        host_settings={"DURABLE_TASK_HUB_NAME": "uksouthhub"},
    )


def card_link(gateway: Gateway) -> str:
    card = clinical_cards(gateway)[0]
    (action,) = card["attachments"][0]["content"]["actions"]
    assert action["type"] == "Action.OpenUrl"
    assert action["title"] == "Acknowledge"
    return str(action["url"])


def email_link(gateway: Gateway) -> str:
    text = gateway.smtp.messages[0].get_content()
    return next(line for line in text.splitlines() if "/api/ack#token=" in line).strip()


def token_of(link: str) -> str:
    parts = urlsplit(link)  # the fragment; links sent before it carried the query
    return parse_qs(parts.fragment or parts.query)["token"][0]


def escalation_state(gateway: Gateway) -> str:
    (instance,) = gateway.instances("escalation_orchestrator")
    return str(instance["runtimeStatus"])


def raise_crisis(gateway: Gateway) -> str:
    """Send a crisis message; return the card's link once both channels have delivered."""
    gateway.chat(SELF_HARM, CONVERSATION)
    assert wait_for(lambda: bool(clinical_cards(gateway)) and bool(gateway.smtp.messages))
    return card_link(gateway)


BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def post_token(base_url: str, token: str) -> requests.Response:
    """What the confirmation page's button sends."""
    return requests.post(
        f"{base_url}/api/ack", data={"token": token}, headers=BROWSER, timeout=30.0
    )


@pytest.mark.safety("H03")
def test_card_and_email_carry_the_same_signed_link(start_gateway: Callable[..., Gateway]) -> None:
    """The card's Acknowledge button and the email open the same link on the base URL."""
    gateway = start_linked(start_gateway)
    link = raise_crisis(gateway)
    assert link == email_link(gateway)
    assert link.startswith(f"{gateway.url}/api/ack#token=esc-")
    assert ".uksouth." in token_of(link)


@pytest.mark.safety("H03")
def test_get_on_the_link_changes_nothing(start_gateway: Callable[..., Gateway]) -> None:
    """Opening the link shows the page whose form opens the case; opening the case shows the
    acknowledge form; neither acknowledges, and the escalation keeps waiting."""
    gateway = start_linked(start_gateway)
    link = raise_crisis(gateway)
    page = requests.get(link, headers=BROWSER, timeout=30.0)
    assert page.status_code == 200
    assert '<form method="post" action="/api/ack/case">' in page.text
    case = requests.post(
        f"{gateway.url}/api/ack/case",
        data={"token": token_of(link)},
        headers=BROWSER,
        timeout=30.0,
    )
    assert case.status_code == 200, case.text
    assert '<form method="post" action="/api/ack">' in case.text
    assert escalation_state(gateway) == "Running"
    escalation_id = token_of(link).split(".")[0]
    assert not [
        r
        for r in gateway.runtime.escalator.store.history(escalation_id)
        if r["event"] == "acknowledged"
    ]


@pytest.mark.safety("H03")
def test_post_acknowledges_and_cancels_the_supervisor_reminder(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Posting the link's token acknowledges: the escalation completes, no supervisor alert."""
    gateway = start_linked(start_gateway)
    link = raise_crisis(gateway)
    response = post_token(gateway.url, token_of(email_link(gateway)))
    assert response.status_code == 200, response.text
    assert "Acknowledged" in response.text
    assert wait_for(lambda: escalation_state(gateway) == "Completed")
    (instance,) = gateway.instances("escalation_orchestrator")
    assert instance["output"]["acknowledged"] is True
    assert not [r for r in gateway.webhook.received if r.path == "/supervisor"]
    assert link  # the card's link is the same token (checked above)


@pytest.mark.safety("H03")
def test_second_post_is_refused(start_gateway: Callable[..., Gateway]) -> None:
    """The link acknowledges once: posting it again is a 409 page."""
    gateway = start_linked(start_gateway)
    token = token_of(raise_crisis(gateway))
    assert post_token(gateway.url, token).status_code == 200
    again = post_token(gateway.url, token)
    assert again.status_code == 409
    assert "<h1>" in again.text


@pytest.mark.safety("H03")
def test_altered_token_is_refused_and_changes_nothing(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A token with one character changed gets a 403 page, on GET and POST; nothing changes."""
    gateway = start_linked(start_gateway)
    token = token_of(raise_crisis(gateway))
    escalation_id, region, expires, kid, signature = token.split(".")
    forged = f"{escalation_id}.{region}.{int(expires) + 86_400}.{kid}.{signature}"
    assert post_token(gateway.url, forged).status_code == 403
    opened = requests.get(f"{gateway.url}/api/ack", params={"token": forged}, timeout=30.0)
    assert opened.status_code == 403
    assert opened.json()["error"]["code"] == "invalid"
    assert "not valid" in post_token(gateway.url, token[:-1]).text
    assert escalation_state(gateway) == "Running"


@contextmanager
def second_region(gateway: Gateway, port: int, regions: dict[str, str]) -> Iterator[str]:
    """The same app on a dev host of its own (another OS process) as region ``ukwest``, with
    its own task hub and escalations table."""
    env = {
        **os.environ,
        **gateway.env,
        **HOST_SETTINGS,
        **link_settings(f"http://127.0.0.1:{port}", "ukwest", regions),
        "ESCALATION_TABLE_NAME": "escalations" + uuid.uuid4().hex[:12],
        "DURABLE_TASK_HUB_NAME": "ukwesthub",
    }
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "devhost", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("devhost ready:"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(90.0), "the second dev host did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(30.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30.0)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.safety("H03")
def test_link_posted_to_the_other_region_acknowledges_in_the_first(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Two hosts, two task hubs: a uksouth link posted to the ukwest host is forwarded, and the
    escalation on the uksouth host is acknowledged."""
    west_port = azurite.free_port()
    west_url = f"http://127.0.0.1:{west_port}"
    gateway = start_linked(start_gateway, ukwest=west_url)
    token = token_of(raise_crisis(gateway))
    with second_region(gateway, west_port, {"uksouth": gateway.url, "ukwest": west_url}) as west:
        response = post_token(west, token)
        assert response.status_code == 200, response.text
        assert "Acknowledged" in response.text
    assert wait_for(lambda: escalation_state(gateway) == "Completed")
    (instance,) = gateway.instances("escalation_orchestrator")
    assert instance["output"]["acknowledged"] is True
    assert not [r for r in gateway.webhook.received if r.path == "/supervisor"]


@pytest.mark.safety("H03")
def test_expired_token_gets_a_410_page_and_changes_nothing(
    start_gateway: Callable[..., Gateway],
) -> None:
    """With the escalator's clock a second past the link's expiry, GET and POST get a 410 page
    and the escalation keeps waiting."""
    gateway = start_linked(start_gateway)
    token = token_of(raise_crisis(gateway))
    expires = int(token.split(".")[2])
    gateway.runtime.escalator.clock = lambda: float(expires + 1)
    posted = post_token(gateway.url, token)
    assert posted.status_code == 410
    assert "expired" in posted.text
    opened = requests.get(
        f"{gateway.url}/api/ack", params={"token": token}, headers=BROWSER, timeout=30.0
    )
    assert opened.status_code == 410
    assert escalation_state(gateway) == "Running"
