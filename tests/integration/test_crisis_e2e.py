"""Crisis messages end to end: the immediate pre-approved reply and the durable escalation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from shared.signposting import Person, compose
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import ADMIN_KEY, Gateway
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration

SELF_HARM = "I can't go on anymore, I want to end my life"
MARKER = "zephyrine"  # a word that must never leave in an escalation
EMERGENCY = f"{MARKER} here, I'm bleeding really heavily and I feel like I'm going to faint"
CONVERSATION = "conv-crisis-7f3a"


def facts(card: dict[str, Any]) -> dict[str, str]:
    body = card["attachments"][0]["content"]["body"]
    return {f["title"]: f["value"] for f in body[1]["facts"]}


def clinical_cards(gateway: Gateway) -> list[dict[str, Any]]:
    return [r.body for r in gateway.webhook.received if r.path == "/clinical"]


@pytest.mark.safety("H01", "H22")
def test_crisis_reply_does_not_wait_for_any_tier(start_gateway: Callable[..., Gateway]) -> None:
    """With every provider hung, a crisis message still gets its reply, and no tier is called."""
    gateway = start_gateway(tier_timeout_s=5.0, budget_s=12.0)
    for provider in ("openai", "azure_openai", "anthropic"):
        gateway.sims.set_fault(provider, Fault(kind=FaultKind.HANG))
    started = time.monotonic()
    data = gateway.chat(SELF_HARM, CONVERSATION)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, "answered without waiting out even one tier timeout"
    assert data["failover"]["crisis"] is True
    assert data["failover"]["crisis_category"] == "self_harm"
    assert data["failover"]["escalated"] is True
    assert data["failover"]["degraded"] is False
    assert data["failover"]["provider"] == "emergency"
    text = data["choices"][0]["message"]["content"]
    assert text == compose(gateway.runtime.gateway.signposting, "self_harm", Person()).text
    assert "116 123" in text
    assert sum(gateway.sims.count(p) for p in ("openai", "azure_openai", "anthropic")) == 0


@pytest.mark.safety("H03")
def test_escalation_reaches_teams_and_email_without_message_text(
    start_gateway: Callable[..., Gateway],
) -> None:
    """The nurse team gets an Adaptive Card and an email: reference, category, action; no text."""
    gateway = start_gateway()
    gateway.chat(EMERGENCY, CONVERSATION)
    assert wait_for(lambda: bool(clinical_cards(gateway)))
    assert wait_for(lambda: bool(gateway.smtp.messages))
    card = clinical_cards(gateway)[0]
    rows = facts(card)
    assert rows["Category"] == "medical emergency"
    assert rows["Action"].startswith("Acknowledge, then record the outcome")
    assert rows["Conversation"].startswith("ref-")
    assert CONVERSATION not in str(card)
    assert MARKER not in str(card).lower()
    mail = gateway.smtp.messages[0]
    assert mail["To"] == "nurse-team@localhost"
    assert "medical emergency" in str(mail["Subject"])
    assert MARKER not in mail.get_content().lower()
    assert CONVERSATION not in mail.get_content()


@pytest.mark.safety("H03")
def test_webhook_failure_is_retried_until_delivered(start_gateway: Callable[..., Gateway]) -> None:
    """A Teams webhook that fails twice is retried on durable timers and then delivered."""
    gateway = start_gateway()
    gateway.webhook.fail_next(2)
    gateway.chat(SELF_HARM, CONVERSATION)
    assert wait_for(lambda: bool(clinical_cards(gateway)))
    assert gateway.webhook.failed == 2
    assert len(clinical_cards(gateway)) == 1


@pytest.mark.safety("H03")
def test_smtp_down_does_not_stop_teams(start_gateway: Callable[..., Gateway]) -> None:
    """With the SMTP server down, Teams still delivers; the email failures are audited."""
    gateway = start_gateway()
    gateway.smtp.stop()
    gateway.chat(SELF_HARM, CONVERSATION)
    assert wait_for(lambda: bool(clinical_cards(gateway)))
    escalation_id = facts(clinical_cards(gateway)[0])["Escalation"]
    store = gateway.runtime.escalator.store

    def email_failure_audited() -> bool:
        return any(
            row["event"] == "delivery_failed" and row.get("channel") == "email"
            for row in store.history(escalation_id)
        )

    assert wait_for(email_failure_audited)
    assert gateway.smtp.messages == []


@pytest.mark.safety("H03")
def test_repeated_crisis_messages_escalate_once_but_are_all_answered(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Several crisis messages from one conversation: each is answered, one escalation starts."""
    gateway = start_gateway()
    replies = [gateway.chat(SELF_HARM, CONVERSATION) for _ in range(3)]
    assert all(r["failover"]["crisis"] for r in replies)
    assert all(r["failover"]["escalated"] for r in replies)
    assert len(gateway.instances("escalation_orchestrator")) == 1
    gateway.chat(SELF_HARM, "another-conversation")
    assert len(gateway.instances("escalation_orchestrator")) == 2


@pytest.mark.safety("H03")
def test_acknowledged_escalation_sends_no_supervisor_reminder(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A nurse's acknowledgement completes the escalation; the supervisor hears nothing."""
    gateway = start_gateway()
    gateway.chat(SELF_HARM, CONVERSATION)
    assert wait_for(lambda: bool(clinical_cards(gateway)))
    escalation_id = facts(clinical_cards(gateway)[0])["Escalation"]
    ack = gateway.post(f"/api/escalations/{escalation_id}/ack", b"", key=ADMIN_KEY)
    assert ack.status_code == 200
    assert ack.json() == {"id": escalation_id, "acknowledged": True, "late": False}

    def completed() -> bool:
        (instance,) = gateway.instances("escalation_orchestrator")
        return bool(instance["runtimeStatus"] == "Completed")

    assert wait_for(completed)
    assert not [r for r in gateway.webhook.received if r.path == "/supervisor"]


@pytest.mark.safety("H03")
def test_unacknowledged_escalation_alerts_the_supervisor(
    start_gateway: Callable[..., Gateway],
) -> None:
    """No acknowledgement within the configured delay: the supervisor is alerted."""
    gateway = start_gateway()  # the test config sets a 2 s acknowledgement delay
    gateway.chat(SELF_HARM, CONVERSATION)
    assert wait_for(lambda: any(r.path == "/supervisor" for r in gateway.webhook.received))
    reminder = next(r.body for r in gateway.webhook.received if r.path == "/supervisor")
    assert "not been acknowledged" in reminder["attachments"][0]["content"]["body"][0]["text"]


def test_ack_of_an_unknown_escalation_is_404(start_gateway: Callable[..., Gateway]) -> None:
    """Acknowledging an id that does not exist is a 404, not a 500."""
    gateway = start_gateway()
    missing = gateway.post("/api/escalations/esc-" + "0" * 32 + "/ack", b"", key=ADMIN_KEY)
    assert missing.status_code == 404
    malformed = gateway.post("/api/escalations/whatever/ack", b"", key=ADMIN_KEY)
    assert malformed.status_code == 404


@pytest.mark.safety("H09")
def test_rate_limit_grows_retry_after_but_never_blocks_a_crisis(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A conversation over its limit gets 429s with a growing Retry-After; crisis still answers."""
    gateway = start_gateway(
        rate_limits={"per_conversation": {"rate_per_s": 0.01, "burst": 2}},
    )
    body = {
        "messages": [{"role": "user", "content": "What is HPV?"}],
        "metadata": {"conversation_id": "busy"},
    }
    assert gateway.post("/api/chat", body).status_code == 200
    assert gateway.post("/api/chat", body).status_code == 200
    first = gateway.post("/api/chat", body)
    second = gateway.post("/api/chat", body)
    assert (first.status_code, second.status_code) == (429, 429)
    assert (first.headers["Retry-After"], second.headers["Retry-After"]) == ("1", "2")
    assert first.json()["error"]["code"] == "rate_limited"
    crisis = gateway.chat(SELF_HARM, "busy")
    assert crisis["failover"]["crisis"] is True
