"""No message content, raw user id or conversation id reaches a log line or an alert.

Chat runs through the dev host (normal, failover, all tiers down, crisis, escalation and its
acknowledgement) with distinctive markers in the text and the ids, while every log record of
every logger, at DEBUG, and everything written to stdout and stderr is captured. The markers
may reach the simulated providers (they stand in for OpenAI and the others, which must see
the text); they must reach nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from simulators.faults import Fault, FaultKind
from tests.integration.conftest import ADMIN_KEY, Gateway
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration

CONTENT = "quillwort"  # a word in every message; the detector lower-cases, so markers are lower
USER = "usr-kestrel-5e1d"
CONVERSATION = "conv-marram-8b2d"
MARKERS = (CONTENT, USER, CONVERSATION)
QUESTION = f"My aunt {CONTENT} asked: what are the early symptoms of womb cancer?"
CRISIS = f"I can't go on anymore, I want to end my life. {CONTENT}"

# The far side of the wire: the simulated providers (standing in for OpenAI and the others) and
# the loopback SMTP server (aiosmtpd's "mail.log"). What they log is not the gateway's.
_OUTSIDE = ("simulators", "mail.log")
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def rendered(record: logging.LogRecord) -> str:
    """Everything a handler could emit for ``record``, including traceback and extra fields."""
    text = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    extra = {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}
    return f"{text} {extra!r} {record.args!r}"


def leaks(texts: Iterable[str]) -> list[tuple[str, str]]:
    """(marker, line) for every line that holds a marker, whatever its case."""
    found: list[tuple[str, str]] = []
    for text in texts:
        lowered = text.lower()
        found.extend((m, text[:300]) for m in MARKERS if m in lowered)
    return found


def chat(gateway: Gateway, text: str) -> dict[str, Any]:
    body = {
        "messages": [{"role": "user", "content": text}],
        "user": USER,
        "metadata": {"conversation_id": CONVERSATION},
    }
    response = gateway.post("/api/chat", body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
def captured(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Callable[[], list[str]]:
    """Every log record (root logger at DEBUG) and all stdout/stderr output, as text."""
    caplog.set_level(logging.DEBUG)

    def texts() -> list[str]:
        records = [r for r in caplog.records if not r.name.startswith(_OUTSIDE)]
        assert records, "nothing was logged: the capture is not working"
        out, err = capfd.readouterr()
        return [*(rendered(r) for r in records), out, err]

    return texts


def clinical(gateway: Gateway) -> list[dict[str, Any]]:
    return [r.body for r in gateway.webhook.received if r.path == "/clinical"]


@pytest.mark.safety("H15")
def test_normal_chat_logs_no_content_or_ids(
    gateway: Gateway, captured: Callable[[], list[str]]
) -> None:
    """A tier-1 answer leaves no text, user id or conversation id in the logs."""
    assert chat(gateway, QUESTION)["failover"]["tier"] == 1
    assert leaks(captured()) == []


def test_failover_logs_no_content_or_ids(
    gateway: Gateway, captured: Callable[[], list[str]]
) -> None:
    """Errors and a timeout on the way to tier 3 leave no text or ids in the logs."""
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=500))
    gateway.sims.set_fault("azure_openai", Fault(kind=FaultKind.HANG))
    assert chat(gateway, QUESTION)["failover"]["provider"] == "anthropic"
    assert leaks(captured()) == []


@pytest.mark.safety("H15")
def test_all_tiers_down_logs_and_alerts_no_content_or_ids(
    gateway: Gateway, captured: Callable[[], list[str]]
) -> None:
    """The emergency reply and the operations alert leave no text or ids anywhere."""
    for provider in ("openai", "azure_openai", "anthropic"):
        gateway.sims.set_fault(provider, Fault(kind=FaultKind.STATUS, status=503))
    assert chat(gateway, QUESTION)["failover"]["tier"] == 4
    assert wait_for(lambda: any(r.path == "/operations" for r in gateway.webhook.received))
    alerts = [repr(r.body) for r in gateway.webhook.received]
    assert leaks([*captured(), *alerts]) == []


@pytest.mark.safety("H15")
def test_crisis_and_escalation_log_and_alert_no_content_or_ids(
    gateway: Gateway, captured: Callable[[], list[str]]
) -> None:
    """The crisis reply, the Teams card and the email leave no text or ids anywhere."""
    assert chat(gateway, CRISIS)["failover"]["crisis"] is True
    assert wait_for(lambda: bool(clinical(gateway)) and bool(gateway.smtp.messages))
    alerts = [repr(r.body) for r in gateway.webhook.received]
    alerts += [m.as_string() for m in gateway.smtp.messages]
    assert leaks([*captured(), *alerts]) == []


def test_crisis_with_excerpt_logs_no_content_or_ids(
    start_gateway: Callable[..., Gateway], captured: Callable[[], list[str]]
) -> None:
    """With the redacted excerpt switched on, the text still never reaches a log."""
    gateway = start_gateway(extra={"ESCALATION_INCLUDE_EXCERPT": "true"})
    assert chat(gateway, CRISIS)["failover"]["crisis"] is True
    assert wait_for(lambda: bool(clinical(gateway)) and bool(gateway.smtp.messages))
    assert leaks(captured()) == []


def test_acknowledged_escalation_logs_no_content_or_ids(
    gateway: Gateway, captured: Callable[[], list[str]]
) -> None:
    """Acknowledging the escalation and its completion leave no text or ids in the logs."""
    chat(gateway, CRISIS)
    assert wait_for(lambda: bool(clinical(gateway)))
    body = clinical(gateway)[0]["attachments"][0]["content"]["body"]
    escalation_id = {f["title"]: f["value"] for f in body[1]["facts"]}["Escalation"]
    response = gateway.post(f"/api/escalations/{escalation_id}/ack", b"", key=ADMIN_KEY)
    assert response.status_code == 200

    def completed() -> bool:
        (instance,) = gateway.instances("escalation_orchestrator")
        return bool(instance["runtimeStatus"] == "Completed")

    assert wait_for(completed)
    assert leaks(captured()) == []


@pytest.mark.safety("H15")
def test_triage_flag_and_malformed_triage_log_and_alert_no_content_or_ids(
    start_gateway: Callable[..., Gateway], captured: Callable[[], list[str]]
) -> None:
    """With the language-model triage on, a malformed triage and a triage flag (its crisis
    reply, Teams card and email) leave no text or ids anywhere."""
    gateway = start_gateway(extra={"CRISIS_TRIAGE_ENABLED": "true"})
    assert chat(gateway, f"{QUESTION} [triage:malformed]")["failover"]["crisis"] is False
    # The tier's answers start late; its triage answers at once, so the flag wins the race.
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.OK, first_token_ms=1000))
    failover = chat(gateway, f"{QUESTION} [triage:sg]")["failover"]
    assert (failover["crisis"], failover["crisis_source"]) == (True, "triage")
    assert wait_for(lambda: bool(clinical(gateway)) and bool(gateway.smtp.messages))
    alerts = [repr(r.body) for r in gateway.webhook.received]
    alerts += [m.as_string() for m in gateway.smtp.messages]
    assert leaks([*captured(), *alerts]) == []
