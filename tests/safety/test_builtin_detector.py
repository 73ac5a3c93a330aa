"""The built-in detector for explicit statements, used when the pattern file is broken (H14)."""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from shared.bootstrap import chat_gateway
from shared.failover.gateway import ChatGateway
from shared.safety import BUILT_IN_DETECTOR, BUILT_IN_SIGNAL, detection_state, load_detector
from shared.safety.builtin import USER_TURNS
from tests.observability.helpers import unit_runtime

EXPLICIT = {
    "self_harm": (
        "I want to kill myself",
        "i'm going to end my life tonight",
        "I can't do this, I'm suicidal",
        "I took an overdose an hour ago",
        "i dont want to be alive",
    ),
    "medical_emergency": (
        "I can't breathe properly",
        "I've got crushing chest pain",
        "my mum has collapsed and is unconscious",
        "I'm bleeding heavily after my operation",
    ),
    "safeguarding": (
        "my husband hits me when he drinks",
        "I'm scared he'll kill me",
        "I am being abused at home",
    ),
}
ORDINARY = (
    "What are the symptoms of ovarian cancer?",
    "Is a smear test painful?",
    "How long does it take to recover from a hysterectomy?",
    "I'm worried about bloating after meals",
    "Can I still have children after treatment for cervical cancer?",
)


@pytest.mark.safety("H14")
@pytest.mark.parametrize(
    ("category", "text"), [(c, t) for c, texts in EXPLICIT.items() for t in texts]
)
def test_explicit_statements_get_their_category(category: str, text: str) -> None:
    """Each explicit statement is answered with its own category's crisis reply."""
    match = BUILT_IN_DETECTOR.detect([text])
    assert match is not None
    assert (match.category, match.signals) == (category, (BUILT_IN_SIGNAL,))


@pytest.mark.safety("H14")
@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_stay_quiet(text: str) -> None:
    """Ordinary questions about gynaecological cancers do not fire the built-in detector."""
    assert BUILT_IN_DETECTOR.detect([text]) is None


@pytest.mark.safety("H14")
def test_an_earlier_turn_within_the_window_still_counts() -> None:
    """An explicit statement in one of the recent user turns fires on a later, ordinary turn."""
    turns = ["I want to kill myself"] + ["ok"] * (USER_TURNS - 1)
    match = BUILT_IN_DETECTOR.detect(turns)
    assert match is not None
    assert match.category == "self_harm"


@pytest.mark.safety("H14")
def test_a_broken_pattern_file_is_reported_misconfigured(tmp_path: Path) -> None:
    """A pattern file that fails validation makes the detection state ``misconfigured``."""
    broken = tmp_path / "crisis-patterns.json"
    broken.write_text(json.dumps({"version": "broken"}), encoding="utf-8")
    assert detection_state(functools.partial(load_detector, broken)) == "misconfigured"
    assert detection_state(load_detector) == "ok"


def _broken() -> Any:
    raise ValueError("crisis-patterns.json: invalid JSON at line 1")


def _request(text: str) -> bytes:
    return json.dumps({"messages": [{"role": "user", "content": text}]}).encode()


class _Engine:
    """The Durable engine at its edge: counts starts, never finishes a chat."""

    def __init__(self) -> None:
        self.started: list[str] = []

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        self.started.append(name)
        return "instance-1"

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        return "completed", {
            "tier": 1,
            "provider": "openai",
            "completion": {"text": "Some information", "finish_reason": "stop", "model": "m"},
            "attempts": [{"provider": "openai", "outcome": "ok", "ms": 1.0}],
        }


@pytest.mark.safety("H14")
async def test_with_a_broken_pattern_file_an_explicit_crisis_still_gets_the_crisis_reply() -> None:
    """The gateway falls back to the built-in detector: crisis reply, escalation, alert."""
    gateway = chat_gateway(unit_runtime(), detector=_broken)
    engine = _Engine()
    reply = await gateway.handle(_request("I want to kill myself"), None, engine)
    assert reply.body["failover"]["crisis"] is True
    assert reply.body["failover"]["crisis_category"] == "self_harm"
    assert "escalation_orchestrator" in engine.started


@pytest.mark.safety("H14")
async def test_a_broken_pattern_file_raises_an_operations_alert() -> None:
    """Answering on the built-in detector is never silent: operations get a critical alert."""
    gateway = chat_gateway(unit_runtime(), detector=_broken)
    rules = await _alert_rules(gateway, _Engine(), "What is a smear test?")
    assert rules == ["crisis_detection_misconfigured"]


async def _alert_rules(gateway: ChatGateway, engine: _Engine, text: str) -> list[str]:
    """Answer ``text`` and return the rules of the alerts flushed after the answer (in the
    background), waiting for the first with a generous deadline."""
    flushed = asyncio.Event()
    gateway.alerts.add_listener(lambda _sent: flushed.set())
    await gateway.handle(_request(text), None, engine)
    await asyncio.wait_for(flushed.wait(), timeout=30.0)
    return [sent.alert.rule for sent in gateway.alerts.recent()]


@pytest.mark.safety("H14")
async def test_with_a_broken_pattern_file_an_ordinary_question_is_answered_by_a_model() -> None:
    """Without an explicit statement, the fallback lets an ordinary question reach the tiers."""
    gateway = chat_gateway(unit_runtime(), detector=_broken)
    reply = await gateway.handle(_request("What is a smear test?"), None, _Engine())
    assert reply.body["failover"]["crisis"] is False
    assert reply.body["failover"]["provider"] == "openai"
