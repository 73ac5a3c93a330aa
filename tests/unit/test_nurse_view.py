"""The nurse view behind the alert's link: the case, the last turns only when the deployment
turns them on, every view audited, and the outcomes a nurse records."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from api.acknowledge import render_page
from shared.escalation import ACK_EVENT, Escalator
from shared.escalation.casefile import TURN_MAX_CHARS, VIEW_TURNS, CaseFile
from shared.escalation.store import MemoryEscalationStore
from shared.observability.status import summarise_escalations
from shared.platform import OrchestrationsUnavailable
from tests.observability.helpers import FakeOrchestrations, unit_runtime
from tests.unit.test_ack_by_link import Engine

LINKS = {"ACK_LINK_KEY": "unit-test-key", "ACK_BASE_URL": "https://gateway.invalid"}
SECRET_WORDS = "I have taken all my tablets and I am at 12 Elm Road"
TRANSCRIPT = (
    ("user", "what are the symptoms of ovarian cancer"),
    ("assistant", "Common symptoms include bloating."),
    ("user", SECRET_WORDS),
)


def escalator(*, show: bool = False) -> Escalator:
    return unit_runtime(
        env={**LINKS, "ACK_REGION": "uksouth"}, escalation_show_messages=show
    ).escalator


async def raise_crisis(esc: Escalator, transcript: tuple[tuple[str, str], ...] = TRANSCRIPT) -> str:
    """Start a crisis escalation; return its link's token."""
    outcome = await esc.crisis(
        FakeOrchestrations(),
        category="self_harm",
        signals=("overdose_taken",),
        conversation_key="conv-nurse-view",
        latest_message=transcript[-1][1],
        transcript=transcript,
    )
    assert outcome.escalation_id is not None
    assert esc.links is not None
    return esc.links.signer.token(outcome.escalation_id, datetime.now(UTC).isoformat())


def events(esc: Escalator, token: str, name: str) -> list[dict[str, object]]:
    return [r for r in esc.store.history(token.split(".", maxsplit=1)[0]) if r["event"] == name]


@pytest.mark.safety("H03")
async def test_the_view_shows_the_case_without_text_by_default() -> None:
    """Setting off: category, signals, time, conversation reference and the number of turns;
    no message text, and a line saying it is not turned on."""
    esc = escalator()
    token = await raise_crisis(esc)
    page = await esc.nurse_view(token)
    html = render_page(page)
    assert (page.status, page.outcome) == (200, "confirm")
    assert page.case is not None
    assert (page.case.category, page.case.signals, page.case.turns) == (
        "self_harm",
        ("overdose_taken",),
        3,
    )
    assert page.case.conversation_ref is not None
    assert page.case.conversation_ref in html
    assert "Turns in the conversation</th><td>3<" in html
    assert "not turned it on" in html
    assert "Elm Road" not in html


@pytest.mark.safety("H15")
async def test_with_the_setting_off_no_text_is_stored() -> None:
    """The case row holds no message text unless the deployment turned it on."""
    esc = escalator()
    token = await raise_crisis(esc)
    case = esc.store.case(token.split(".")[0])
    assert case is not None
    assert case.messages == ()
    assert "messages" not in case.to_row()


@pytest.mark.safety("H15")
async def test_asking_for_the_text_with_the_setting_off_shows_none() -> None:
    """A post to the messages view, setting off, shows no text."""
    esc = escalator()
    token = await raise_crisis(esc)
    page = await esc.nurse_view(token, messages=True)
    assert page.outcome == "confirm"
    assert "Elm Road" not in render_page(page)


@pytest.mark.safety("H03")
async def test_with_the_setting_on_the_last_turns_are_shown_on_request() -> None:
    """Setting on: GET offers the button and shows no text; the post shows the last turns."""
    esc = escalator(show=True)
    token = await raise_crisis(esc)
    opened = render_page(await esc.nurse_view(token))
    shown = await esc.nurse_view(token, messages=True)
    assert "Elm Road" not in opened
    assert 'action="/api/ack/view"' in opened
    assert shown.outcome == "messages"
    assert "12 Elm Road" in render_page(shown)


async def test_only_the_last_turns_are_kept_and_each_is_clipped() -> None:
    """The case keeps the last VIEW_TURNS turns, each cut to TURN_MAX_CHARS, and counts all."""
    esc = escalator(show=True)
    long = tuple(("user", f"turn {n} " + "x" * 2 * TURN_MAX_CHARS) for n in range(10))
    token = await raise_crisis(esc, long)
    case = esc.store.case(token.split(".")[0])
    assert case is not None
    assert case.turns == 10
    assert len(case.messages) == VIEW_TURNS
    assert case.messages[0].text.startswith(f"turn {10 - VIEW_TURNS} ")
    assert {len(t.text) for t in case.messages} == {TURN_MAX_CHARS}


@pytest.mark.safety("H15")
async def test_every_view_is_audited_without_the_text(caplog: pytest.LogCaptureFixture) -> None:
    """Each view writes a ``viewed`` row (whether text was shown); no row and no log line
    carries the text."""
    esc = escalator(show=True)
    with caplog.at_level(logging.DEBUG):
        token = await raise_crisis(esc)
        await esc.nurse_view(token)
        await esc.nurse_view(token, messages=True)
    viewed = events(esc, token, "viewed")
    assert [row["messages"] for row in viewed] == [False, True]
    assert "Elm Road" not in json.dumps(esc.store.history(token.split(".")[0]))
    assert "Elm Road" not in caplog.text


@pytest.mark.safety("H03")
async def test_an_outcome_is_audited_and_acknowledges_a_waiting_escalation() -> None:
    """Recording ``contacted`` raises the ack event and writes an ``outcome`` row."""
    esc, engine = escalator(), Engine()
    token = await raise_crisis(esc)
    page = await esc.record_outcome(token, "contacted", engine)
    assert (page.status, page.outcome, page.recorded) == (200, "recorded", "contacted")
    assert engine.raised == [(token.split(".")[0], ACK_EVENT)]
    assert [r["outcome"] for r in events(esc, token, "outcome")] == ["contacted"]
    assert len(events(esc, token, "acknowledged")) == 1


async def test_an_outcome_after_acknowledging_raises_nothing_more() -> None:
    """Acknowledge, then record ``could_not_contact``: one ack event, one outcome row."""
    esc, engine = escalator(), Engine()
    token = await raise_crisis(esc)
    await esc.acknowledge_link(token, engine)
    page = await esc.record_outcome(token, "could_not_contact", engine)
    assert page.outcome == "recorded"
    assert len(engine.raised) == 1
    assert [r["outcome"] for r in events(esc, token, "outcome")] == ["could_not_contact"]


async def test_an_outcome_on_an_ended_escalation_is_still_recorded() -> None:
    """After the supervisor reminder (escalation ended), an outcome is recorded all the same."""
    esc, engine = escalator(), Engine(state="completed")
    token = await raise_crisis(esc)
    page = await esc.record_outcome(token, "handed_to_999", engine)
    assert page.outcome == "recorded"
    assert engine.raised == []


async def test_an_unknown_outcome_is_a_400_and_records_nothing() -> None:
    """Anything but the four outcomes is refused."""
    esc = escalator()
    token = await raise_crisis(esc)
    page = await esc.record_outcome(token, "called_back", Engine())
    assert (page.status, page.outcome) == (400, "bad_outcome")
    assert events(esc, token, "outcome") == []


@pytest.mark.safety("H03")
async def test_an_outcome_while_the_backend_is_down_says_try_again_and_records_nothing() -> None:
    """Durable backend unavailable: 503 ``try_again``; no outcome row, so the retry is clean."""
    esc = escalator()
    token = await raise_crisis(esc)
    engine = Engine(poll_error=OrchestrationsUnavailable("status answered 500"))
    page = await esc.record_outcome(token, "contacted", engine)
    assert (page.status, page.outcome) == (503, "try_again")
    assert events(esc, token, "outcome") == []


async def test_a_forged_token_records_no_outcome() -> None:
    """An altered token is refused before anything is written."""
    esc = escalator()
    token = await raise_crisis(esc)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    page = await esc.record_outcome(forged, "contacted", Engine())
    assert page.outcome == "invalid"
    assert events(esc, token, "outcome") == []


@pytest.mark.safety("H03")
def test_the_status_page_counts_outcomes_and_ignores_case_rows() -> None:
    """Outcome rows are counted per escalation; a case row is not an escalation event."""
    rows = [
        {"PartitionKey": "esc-1", "RowKey": "0001-started", "event": "started", "kind": "crisis"},
        {
            "PartitionKey": "esc-1",
            "RowKey": "0002-outcome",
            "event": "outcome",
            "outcome": "contacted",
        },
        {"PartitionKey": "esc-1", "RowKey": "case", "category": "self_harm", "messages": "[]"},
    ]
    (row,) = summarise_escalations(rows)
    assert row.outcomes == ("contacted",)
    assert row.started_at == pytest.approx(1e-9)


async def test_another_regions_view_it_cannot_reach_shows_the_forms_without_the_case() -> None:
    """A token for a region with no address: the view has the forms, no case, no audit here."""
    esc = escalator()
    assert esc.links is not None
    west = type(esc.links.signer)(esc.links.signer.key, "ukwest", esc.links.signer.ttl_s)
    token = west.token("esc-" + "7e" * 16, datetime.now(UTC).isoformat())
    page = await esc.nurse_view(token)
    assert (page.status, page.outcome, page.case) == (200, "confirm", None)
    assert 'action="/api/ack/outcome"' in render_page(page)
    assert esc.store.history("esc-" + "7e" * 16) == []


async def test_a_forwarded_view_for_another_region_is_never_forwarded_again() -> None:
    """A host that receives a forwarded view for a region not its own answers 421, no loop."""
    esc = escalator()
    assert esc.links is not None
    west = type(esc.links.signer)(esc.links.signer.key, "ukwest", esc.links.signer.ttl_s)
    token = west.token("esc-" + "7e" * 16, datetime.now(UTC).isoformat())
    page = await esc.nurse_view(token, forwarded=True)
    assert (page.status, page.outcome) == (421, "unreachable")


@pytest.mark.safety("H03")
async def test_the_case_row_never_holds_back_the_escalation_start() -> None:
    """The orchestration is started while the case row is still being written: slow storage
    delays the view's details, never the alert."""
    esc = escalator()
    gate = threading.Event()

    class SlowCaseStore(MemoryEscalationStore):
        def save_case(self, case: CaseFile) -> None:
            gate.wait(30.0)  # released by the start; a failing order times out instead of hanging
            super().save_case(case)

    class Starter(FakeOrchestrations):
        case_saved_at_start: bool | None = None

        async def start(
            self, name: str, payload: dict[str, Any], instance_id: str | None = None
        ) -> str:
            self.case_saved_at_start = esc.store.case(str(instance_id)) is not None
            gate.set()
            return await super().start(name, payload, instance_id)

    esc.store = SlowCaseStore()
    starter = Starter()
    outcome = await esc.crisis(
        starter,
        category="self_harm",
        signals=("overdose_taken",),
        conversation_key="conv-slow-case",
        latest_message=SECRET_WORDS,
        transcript=TRANSCRIPT,
    )
    assert starter.case_saved_at_start is False
    assert outcome.escalated
    assert esc.store.case(str(outcome.escalation_id)) is not None


async def test_a_case_row_that_cannot_be_written_costs_only_the_view() -> None:
    """Storage refusing the case row: the escalation starts all the same."""

    class NoCaseStore(MemoryEscalationStore):
        def save_case(self, case: CaseFile) -> None:
            raise OSError("table unreachable")

    esc = escalator()
    esc.store = NoCaseStore()
    starter = FakeOrchestrations()
    outcome = await esc.crisis(
        starter,
        category="self_harm",
        signals=("overdose_taken",),
        conversation_key="conv-no-case",
        latest_message=SECRET_WORDS,
        transcript=TRANSCRIPT,
    )
    assert outcome.escalated
    assert len(starter.started) == 1
