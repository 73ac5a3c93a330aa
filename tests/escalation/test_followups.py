"""Re-escalation: a stronger or different crisis signal in an escalated conversation is a
follow-up linked to the first escalation; only a message that reports nothing new is dropped."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shared.escalation import load_escalation_config
from shared.escalation.followups import (
    ConversationEscalations,
    MemoryConversations,
    OpenEscalation,
    Signal,
    SignalSeverity,
    TableConversations,
    claim_signal,
    decide,
    parse_signal_severity,
)
from shared.platform import ConfigError, ConfigReader, ensure_table, table_client
from shared.platform.settings import Settings
from tests.observability.helpers import FakeOrchestrations, unit_runtime

T0 = 1_800_000_000.0
WINDOW_S = 900.0
REF = "ref-0123456789abcdef0123"
SEVERITY = load_escalation_config().severity


def signal(category: str, *names: str) -> Signal:
    return Signal(category, names, SEVERITY.rank(names))


IDEATION = signal("self_harm", "suicidal_ideation", "self_directed_act_intended")
TAKEN = signal("self_harm", "overdose")
OPEN = OpenEscalation("esc-first", T0, {"self_harm": IDEATION.rank}, IDEATION.keys)


# --- the shipped ranks ------------------------------------------------------------------------


def test_the_shipped_ranks_order_ideation_below_means_below_an_act() -> None:
    """Wishes rank 1, an overdose (planned or taken) 2, a self-harm act or a taken class 3."""
    assert SEVERITY.rank(("suicidal_ideation", "self_directed_act_intended")) == 1
    assert SEVERITY.rank(("overdose",)) == 2
    assert SEVERITY.rank(("stockpiling_means", "means_prepared")) == 2
    assert SEVERITY.rank(("self_harm_act",)) == 3
    assert SEVERITY.rank(("overdose", "self_harm.overdose_taken")) == 3


def test_an_unknown_name_ranks_as_ideation() -> None:
    """A family or class the ranks do not list is rank 1; a class suffix still counts."""
    assert SEVERITY.rank(("a_family_added_later",)) == 1
    assert SEVERITY.rank(()) == 1
    assert SEVERITY.rank(("self_harm.ligature_taken",)) == 3


def test_a_rank_without_a_label_is_a_config_error() -> None:
    """Ranks are validated when the config is read, naming the field."""
    reader = ConfigReader({"labels": {"1": "ideation"}, "signals": {"overdose": 4}}, "severity")
    with pytest.raises(ConfigError, match=r"severity\.signals\.overdose"):
        parse_signal_severity(reader)


# --- the decision -----------------------------------------------------------------------------


def test_a_conversation_with_nothing_open_gets_a_new_escalation() -> None:
    """No open escalation (or one past the window) means a new escalation."""
    assert decide(None, IDEATION, T0, WINDOW_S).decision == "new"
    assert decide(OPEN, TAKEN, T0 + WINDOW_S, WINDOW_S).decision == "new"


@pytest.mark.safety("H03")
def test_a_rise_in_severity_is_a_follow_up_to_the_first_escalation() -> None:
    """Ideation, then "I have taken all my pills": a follow-up naming the first escalation."""
    verdict = decide(OPEN, TAKEN, T0 + 60, WINDOW_S)
    assert (verdict.decision, verdict.first_id, verdict.reason) == (
        "follow_up",
        "esc-first",
        "severity",
    )


@pytest.mark.safety("H03")
def test_a_plan_then_taken_is_a_follow_up_through_the_taxonomy_class() -> None:
    """A plan (overdose, rank 2), then the class self_harm.overdose_taken (rank 3)."""
    plan = signal("self_harm", "overdose", "means_and_readiness")
    current = OpenEscalation("esc-first", T0, {"self_harm": plan.rank}, plan.keys)
    taken = signal("self_harm", "overdose", "self_harm.overdose_taken")
    assert decide(current, taken, T0 + 60, WINDOW_S).reason == "severity"


@pytest.mark.safety("H03")
def test_a_new_category_is_a_follow_up() -> None:
    """Self-harm, then heavy bleeding: a follow-up for the new category."""
    bleeding = signal("medical_emergency", "heavy_bleeding_not_stopping")
    assert decide(OPEN, bleeding, T0 + 60, WINDOW_S).reason == "category"


@pytest.mark.safety("H03")
def test_a_new_signal_of_the_same_severity_is_a_follow_up() -> None:
    """A signal not reported before is never swallowed, even at the same rank."""
    hopeless = signal("self_harm", "suicidal_ideation", "cannot_go_on")
    assert decide(OPEN, hopeless, T0 + 60, WINDOW_S).reason == "signal"


@pytest.mark.safety("H03")
def test_only_a_message_that_reports_nothing_new_is_a_duplicate() -> None:
    """The identical signals, or fewer of them, inside the window are de-duplicated."""
    assert decide(OPEN, IDEATION, T0 + 60, WINDOW_S).decision == "duplicate"
    fewer = signal("self_harm", "suicidal_ideation")
    assert decide(OPEN, fewer, T0 + 60, WINDOW_S).decision == "duplicate"


# --- the shared rows --------------------------------------------------------------------------

Conversations = Callable[[], ConversationEscalations]


@pytest.fixture(params=["memory", pytest.param("table", marks=pytest.mark.integration)])
def conversations(request: pytest.FixtureRequest) -> Iterator[Conversations]:
    """A factory of stores that share one backing store, as two instances share a table."""
    if request.param == "memory":
        shared = MemoryConversations()
        yield lambda: shared
        return
    settings = Settings.from_env(
        {
            "AzureWebJobsStorage": request.getfixturevalue("azurite_connection"),
            "ESCALATION_TABLE_NAME": "t" + uuid.uuid4().hex[:20],
        }
    )
    client = table_client(settings, settings.escalation_table)
    ensure_table(client)
    yield lambda: TableConversations(table_client(settings, settings.escalation_table))


@pytest.mark.safety("H03")
def test_the_row_remembers_what_was_reported_across_instances(conversations: Conversations) -> None:
    """One instance raises the first escalation; another sees the stronger signal as its
    follow-up and a third sees the repeat as a duplicate."""
    first = claim_signal(
        conversations(), REF, IDEATION, escalation_id="esc-first", now=T0, window_s=WINDOW_S
    )
    second = claim_signal(
        conversations(), REF, TAKEN, escalation_id="esc-second", now=T0 + 60, window_s=WINDOW_S
    )
    again = claim_signal(
        conversations(), REF, TAKEN, escalation_id="esc-third", now=T0 + 90, window_s=WINDOW_S
    )
    assert first.decision == "new"
    assert (second.decision, second.first_id) == ("follow_up", "esc-first")
    assert (again.decision, again.first_id) == ("duplicate", "esc-first")


@pytest.mark.safety("H03")
def test_racing_instances_raise_one_follow_up_for_one_new_signal(
    conversations: Conversations,
) -> None:
    """Eight instances see the same stronger signal at once: exactly one raises it."""
    claim_signal(
        conversations(), REF, IDEATION, escalation_id="esc-first", now=T0, window_s=WINDOW_S
    )
    instances = [conversations() for _ in range(8)]
    start = threading.Barrier(len(instances))
    decisions: list[str] = []
    lock = threading.Lock()

    def race(index: int) -> None:
        store = instances[index]
        start.wait()
        verdict = claim_signal(
            store, REF, TAKEN, escalation_id=f"esc-{index}", now=T0 + 60, window_s=WINDOW_S
        )
        with lock:
            decisions.append(verdict.decision)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(instances))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(decisions) == ["duplicate"] * 7 + ["follow_up"]


# --- through the escalator --------------------------------------------------------------------


def crisis(runtime: Any, engine: FakeOrchestrations, signals: tuple[str, ...], **kw: Any) -> Any:
    return asyncio.run(
        runtime.escalator.crisis(
            engine,
            category=kw.pop("category", "self_harm"),
            signals=signals,
            conversation_key="conversation-7",
            latest_message="(not read)",
            **kw,
        )
    )


def card(engine: FakeOrchestrations, index: int) -> dict[str, Any]:
    escalation: dict[str, Any] = engine.started[index][1]["escalation"]
    return escalation


@pytest.mark.safety("H03")
def test_an_acknowledged_escalation_still_gets_the_stronger_signal_as_a_follow_up() -> None:
    """The first escalation is acknowledged; "now I've taken them" still reaches the nurse
    team, titled a follow-up and naming the first escalation."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    first = crisis(runtime, engine, ("suicidal_ideation",))
    asyncio.run(runtime.escalator.acknowledge(first.escalation_id, engine))
    second = crisis(runtime, engine, ("overdose",))
    assert second.escalated
    assert not second.deduplicated
    follow_up = card(engine, 1)
    assert follow_up["title"] == "Ask Eve crisis follow-up: self harm"
    facts = dict(follow_up["facts"])
    assert facts["Follow-up to"] == first.escalation_id
    assert facts["Why"] == "severity rose to a plan, intent or means"
    assert follow_up["kind"] == "crisis"


@pytest.mark.safety("H03")
def test_a_taxonomy_class_from_the_detector_counts_as_a_signal() -> None:
    """Classes (where the detector gives them) are ranked and listed with the signals."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    crisis(runtime, engine, ("overdose",))
    crisis(runtime, engine, ("overdose",), classes=("self_harm.overdose_taken",))
    assert len(engine.started) == 2
    assert card(engine, 1)["signals"] == ["overdose", "self_harm.overdose_taken"]
    assert dict(card(engine, 1)["facts"])["Why"] == "severity rose to an act, under way or done"


@pytest.mark.safety("H03")
def test_a_repeat_of_the_same_signals_starts_nothing() -> None:
    """The identical message again, inside the window: de-duplicated, still 'escalated'."""
    runtime = unit_runtime()
    engine = FakeOrchestrations()
    crisis(runtime, engine, ("suicidal_ideation",))
    repeat = crisis(runtime, engine, ("suicidal_ideation",))
    assert repeat.deduplicated
    assert repeat.escalated
    assert len(engine.started) == 1


def test_shipped_severity_is_not_the_empty_default() -> None:
    """The shipped config carries the ranks (a config without them ranks everything 1)."""
    assert SignalSeverity() != SEVERITY
    assert SEVERITY.label(3) == "an act, under way or done"
