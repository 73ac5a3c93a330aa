"""The chat path's crisis and emergency replies fit the person: the request's metadata, the
detector's classes and language, and the deployment's nurse follow-up pathway."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

import pytest

from shared.failover.gateway import ChatGateway
from shared.operations.health import report_body
from shared.safety import CrisisMatch
from shared.signposting import Person, compose
from tests.observability.helpers import unit_runtime
from tests.unit.test_gateway import Clock, FakeEngine, gateway

HELLO = [{"role": "user", "content": "Hello"}]
NSPCC = "0808 800 5000"


@dataclass(frozen=True)
class DetailedMatch:
    """A match as the taxonomy detector gives it: with classes and the message's language."""

    category: str
    signals: tuple[str, ...] = ("test",)
    classes: tuple[str, ...] = ()
    language: str = "en"


@dataclass
class FixedDetector:
    match: Any

    def detect_request(self, request: Any) -> Any:
        return self.match


def with_detector(gw: ChatGateway, match: Any) -> ChatGateway:
    return replace(gw, detector=lambda: FixedDetector(match))


def request(metadata: dict[str, Any] | None = None) -> bytes:
    body: dict[str, Any] = {"messages": HELLO}
    if metadata is not None:
        body["metadata"] = metadata
    return json.dumps(body).encode()


def content(reply: Any) -> str:
    text: str = reply.body["choices"][0]["message"]["content"]
    return text


@pytest.mark.safety("H02")
async def test_the_crisis_reply_lists_the_nation_in_the_metadata() -> None:
    """metadata.nation wales, language cy: the Welsh reply with NHS 111 Wales, press 2, and no
    other nation's line."""
    gw = with_detector(gateway(Clock()), DetailedMatch("self_harm"))
    reply = await gw.handle(request({"nation": "wales", "language": "cy"}), None, FakeEngine())
    text = content(reply)
    assert "GIG 111 Cymru" in text
    assert "0808 808 8000" not in text
    assert text.endswith("Ateb awtomatig yw hwn.")


@pytest.mark.safety("H02")
async def test_the_detectors_classes_and_language_shape_the_reply() -> None:
    """A Welsh message reporting a child's abuse gets the Welsh worried-adult reply with the
    NSPCC helpline, and no 'not your fault'."""
    match = DetailedMatch(
        "safeguarding", classes=("safeguarding.child_abuse_reported",), language="cy"
    )
    reply = await with_detector(gateway(Clock()), match).handle(request(), None, FakeEngine())
    text = content(reply)
    assert NSPCC in text
    assert "nid eich bai chi" not in text
    assert text.startswith("Diolch am ddweud wrthym.")


@pytest.mark.safety("H02")
async def test_a_match_without_classes_or_language_gets_the_plain_reply() -> None:
    """Today's CrisisMatch (category and signals only) gives the English reply for everyone."""
    match = CrisisMatch(category="safeguarding", signals=("test",))
    reply = await with_detector(gateway(Clock()), match).handle(request(), None, FakeEngine())
    assert content(reply) == compose(gateway(Clock()).signposting, "safeguarding", Person()).text


@pytest.mark.safety("H02", "H13")
async def test_the_emergency_reply_fits_the_nation_too() -> None:
    """When every model is down, the emergency reply for Scotland names NHS 24, not 111.nhs.uk."""
    engine = FakeEngine(start_error=ConnectionError("task hub unreachable"))
    reply = await gateway(Clock()).handle(request({"nation": "scotland"}), None, engine)
    text = content(reply)
    assert "nhsinform.scot" in text
    assert "111.nhs.uk" not in text


@pytest.mark.safety("H17")
async def test_with_no_follow_up_the_reply_promises_no_contact() -> None:
    """NURSE_FOLLOW_UP unset: the reply says nobody will contact the person and never that the
    nurse team is 'letting' anyone know or will call."""
    gw = with_detector(gateway(Clock()), DetailedMatch("self_harm"))
    text = content(await gw.handle(request(), None, FakeEngine()))
    assert "Nobody from this service will contact you" in text
    assert "letting the Eve Appeal nurse team know" not in text
    assert "will try to call you" not in text


@pytest.mark.safety("H17")
async def test_a_configured_follow_up_says_how_and_when() -> None:
    """With a pathway configured, the reply says how (a call to the number given) and when
    (the next working day)."""
    gw = with_detector(gateway(Clock()), DetailedMatch("medical_emergency"))
    gw = replace(gw, follow_up="next_working_day_call")
    text = content(await gw.handle(request(), None, FakeEngine()))
    assert "will try to call you on the phone number you gave us" in text
    assert "next working day" in text
    assert "Nobody from this service will contact you" not in text


@pytest.mark.safety("H17")
def test_an_unknown_follow_up_setting_is_treated_as_none(caplog: pytest.LogCaptureFixture) -> None:
    """NURSE_FOLLOW_UP naming no pathway is logged as critical and never promises contact."""
    with caplog.at_level(logging.CRITICAL):
        runtime = unit_runtime(env={"NURSE_FOLLOW_UP": "callback_within_an_hour"})
    assert runtime.gateway.follow_up == "none"
    assert any("NURSE_FOLLOW_UP" in r.getMessage() for r in caplog.records)


@pytest.mark.safety("H18")
def test_health_reports_unapproved_clinical_content_beside_the_status() -> None:
    """While the texts are drafts, /api/health says clinical_content unapproved, and the
    overall status is still the tiers' (a release decision, not a fault)."""
    state = unit_runtime().gateway.clinical_content_state()
    body = report_body([], breaker_store_ok=True, health_store_ok=True, now=0.0,
                       clinical_content=state)  # fmt: skip
    assert body["clinical_content"]["status"] == "unapproved"
    assert body["clinical_content"]["unapproved_texts"] > 0
    assert (
        body["status"]
        == report_body([], breaker_store_ok=True, health_store_ok=True, now=0.0)["status"]
    )


@pytest.mark.safety("H02", "H24")
async def test_a_welsh_crisis_message_gets_the_welsh_reply_from_the_shipped_detector() -> None:
    """No metadata at all: the shipped patterns read a Welsh statement of suicidal intent as
    Welsh, and the reply is the Welsh one, with the Samaritans Welsh Language Line."""
    body = json.dumps(
        {"messages": [{"role": "user", "content": "Dw i eisiau marw, dw i ddim eisiau byw"}]}
    ).encode()
    reply = await gateway(Clock()).handle(body, None, FakeEngine())
    assert reply.body["failover"]["crisis_category"] == "self_harm"
    text = content(reply)
    assert text == compose(gateway(Clock()).signposting, "self_harm", Person(language="cy")).text
    assert "0808 164 0123" in text
