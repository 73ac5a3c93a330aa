"""Flood control: past a limit a minute, crisis escalations are folded into one digest card
for the nurses and an operations alert, and nothing is dropped (H03: the nurses flooded, the
real case missed). The reviewed case: three identical crisis messages without a conversation
id raised three escalations, and a script could raise thousands."""

from __future__ import annotations

import json

import pytest

from shared.bootstrap import chat_gateway
from shared.escalation import Escalator, FloodControl, MemoryFloodCounters
from shared.escalation.flood import FloodConfig, digest_id, minute_of
from shared.platform import ESCALATION_ORCHESTRATION
from tests.observability.helpers import FakeOrchestrations, unit_runtime

NOW = 1_796_680_800.0  # the start of a minute
TEXT = "I want to kill myself"


def escalator(per_source: int = 3, total: int = 30) -> Escalator:
    esc = unit_runtime().escalator
    esc.clock = lambda: NOW
    esc.flood = FloodControl(FloodConfig(per_source, total), MemoryFloodCounters())
    return esc


async def crisis(
    esc: Escalator,
    engine: FakeOrchestrations,
    conversation: str | None = None,
    user: str | None = None,
    category: str = "self_harm",
) -> None:
    await esc.crisis(
        engine,
        category=category,
        signals=("explicit_intent",),
        conversation_key=conversation or user,
        latest_message=TEXT,
        user_key=user,
    )


def audiences(engine: FakeOrchestrations) -> list[str]:
    return [payload["escalation"]["audience"] for _, payload, _ in engine.started]


@pytest.mark.safety("H03")
async def test_repeats_without_any_id_stop_at_the_per_source_limit() -> None:
    """Ten identical crisis messages with no id: three cards, then one digest and one
    operations alert; the other six are folded into the digest."""
    esc, engine = escalator(), FakeOrchestrations()
    for _ in range(10):
        await crisis(esc, engine)
    assert audiences(engine) == ["clinical"] * 4 + ["operations"]
    assert engine.started[3][2] == digest_id(minute_of(NOW))


@pytest.mark.safety("H03")
async def test_the_total_limit_folds_a_surge_from_many_people() -> None:
    """Past the total a minute, escalations from different people go into the digest."""
    esc, engine = escalator(per_source=3, total=5), FakeOrchestrations()
    for n in range(12):
        await crisis(esc, engine, user=f"user-{n}")
    assert audiences(engine) == ["clinical"] * 6 + ["operations"]


@pytest.mark.safety("H03")
async def test_the_digest_is_a_crisis_card_awaiting_acknowledgement() -> None:
    """The digest is a clinical crisis card with a callback, its acknowledgement awaited."""
    esc, engine = escalator(per_source=1), FakeOrchestrations()
    await crisis(esc, engine)
    await crisis(esc, engine)
    name, payload, _instance = engine.started[1]
    assert name == ESCALATION_ORCHESTRATION
    assert payload["escalation"]["kind"] == "crisis"
    assert payload["escalation"]["callback_required"] is True
    assert payload["ack_timeout_s"] == esc.config.ack_timeout_s
    assert "stands for every one" in payload["escalation"]["title"]


@pytest.mark.safety("H03")
async def test_every_folded_escalation_is_recorded_under_the_digest_without_text() -> None:
    """Nothing is dropped: each fold is an audit row (reference, category), never the text."""
    esc, engine = escalator(per_source=1, total=1), FakeOrchestrations()
    for n in range(4):
        await crisis(esc, engine, user=f"user-{n}")
    rows = [r for r in esc.store.history(digest_id(minute_of(NOW))) if r["event"] == "folded"]
    assert len(rows) == 3
    assert all(r["conversation_ref"] and r["category"] == "self_harm" for r in rows)
    assert TEXT not in json.dumps(rows)
    assert not any(f"user-{n}" in json.dumps(rows) for n in range(4))
    assert esc.flood is not None
    assert esc.flood.folded_between(NOW, NOW + 59) == 3


@pytest.mark.safety("H03")
async def test_a_new_minute_escalates_again() -> None:
    """The limits are a minute's: the next minute's first escalations go out as cards."""
    esc, engine = escalator(per_source=1, total=1), FakeOrchestrations()
    await crisis(esc, engine, conversation="c-1")
    await crisis(esc, engine, conversation="c-2")
    esc.clock = lambda: NOW + 60
    await crisis(esc, engine, conversation="c-3")
    titles = [p["escalation"]["title"] for _, p, _ in engine.started]
    assert sum("stands for every one" in t for t in titles) == 1
    assert "stands for every one" not in titles[-1]


@pytest.mark.safety("H03")
async def test_unreadable_counters_never_suppress_an_escalation() -> None:
    """Flood control fails open: with the counters down, every escalation goes out."""

    class Down(MemoryFloodCounters):
        def increment(self, name: str) -> int:
            raise OSError("table unreachable")

    esc, engine = escalator(per_source=1), FakeOrchestrations()
    esc.flood = FloodControl(FloodConfig(1, 1), Down())
    for n in range(3):
        await crisis(esc, engine, conversation=f"c-{n}")
    assert audiences(engine) == ["clinical"] * 3


@pytest.mark.safety("H03")
async def test_the_same_user_in_a_new_conversation_is_deduplicated() -> None:
    """De-duplication reads the bot's ``user`` as well as the conversation id."""
    esc, engine = escalator(), FakeOrchestrations()
    await esc.crisis(
        engine,
        category="self_harm",
        signals=(),
        conversation_key="conv-1",
        latest_message=TEXT,
        user_key="user-7",
    )
    outcome = await esc.crisis(
        engine,
        category="self_harm",
        signals=(),
        conversation_key="conv-2",
        latest_message=TEXT,
        user_key="user-7",
    )
    assert outcome.deduplicated is True
    assert len(engine.started) == 1


@pytest.mark.safety("H03")
async def test_every_person_in_a_flood_still_gets_the_crisis_reply() -> None:
    """Folding changes what the nurses see, never the reply: all twenty are crisis replies."""
    runtime = unit_runtime()
    runtime.escalator.clock = lambda: NOW
    runtime.escalator.flood = FloodControl(FloodConfig(1, 2), MemoryFloodCounters())
    gateway = chat_gateway(runtime)
    engine = FakeOrchestrations()
    body = json.dumps({"messages": [{"role": "user", "content": TEXT}]}).encode()
    replies = [await gateway.handle(body, None, engine) for _ in range(20)]
    assert all(r.status == 200 and r.body["failover"]["crisis"] is True for r in replies)
    assert audiences(engine) == ["clinical", "clinical", "operations"]
