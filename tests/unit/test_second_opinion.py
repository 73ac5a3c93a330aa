"""The classifier check beside the answer: the race, the grace, late flags and the breaker.

The classifier is a port (:class:`shared.safety.ContentSafety`); these tests give it a
stand-in at that network edge. The real client is tested against the simulated service in
``tests/integration/test_classifier_e2e.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from shared.breakers import BreakerService, OutcomeWriter
from shared.breakers.store import InMemoryBreakerStore
from shared.escalation import MemoryPendingCrisis
from shared.failover import SecondOpinion
from shared.models import Outcome
from shared.safety import ClassifierConfig, ClassifierError, ClassifierFlag
from tests.support.clocks import ManualClock


class StandIn:
    """The classifier port at the network edge: answers with ``severities``, or raises, or
    waits until released."""

    def __init__(
        self, severities: Mapping[str, int] | None = None, error: Exception | None = None
    ) -> None:
        self.severities = severities or {}
        self.error = error
        self.release = asyncio.Event()
        self.hold = False
        self.calls = 0

    async def analyze(self, text: str) -> Mapping[str, int]:
        self.calls += 1
        if self.hold:
            await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.severities

    async def close(self) -> None:
        return None


def opinion(
    classifier: StandIn, *, grace_s: float = 0.0, pending: MemoryPendingCrisis | None = None
) -> SecondOpinion:
    config = ClassifierConfig(grace_s=grace_s, timeout_s=30.0)
    clock = ManualClock(1_000.0)
    return SecondOpinion(
        classifier=classifier,
        config=config,
        breakers=BreakerService(
            InMemoryBreakerStore(),
            settings_for=lambda _name: config.breaker,
            lease_s_for=lambda _name: 5.0,
            clock=clock,
        ),
        outcomes=OutcomeWriter(),
        pending=pending or MemoryPendingCrisis(),
    )


async def never() -> None:
    await asyncio.Event().wait()


async def answered() -> str:
    return "answer"


async def test_flag_before_the_answer_wins_the_race() -> None:
    """A check that flags while the answer is still running is returned at once."""
    second = opinion(StandIn({"SelfHarm": 4}))
    answer = asyncio.ensure_future(never())
    flag = await second.race(second.start("text", None), answer)
    assert flag == ClassifierFlag("self_harm", ("classifier:SelfHarm:4",))
    answer.cancel()


async def test_answer_first_does_not_wait_past_the_grace() -> None:
    """With the answer ready and the check held, race returns None once the grace is over."""
    classifier = StandIn({"SelfHarm": 6})
    classifier.hold = True
    second = opinion(classifier, grace_s=0.0)
    check = second.start("text", None)
    answer = asyncio.ensure_future(answered())
    assert await second.race(check, answer) is None
    assert check is not None
    assert not check.done()
    classifier.release.set()


async def test_flag_within_the_grace_still_replaces_the_answer() -> None:
    """An answer ready first waits for a check that flags within the grace."""
    classifier = StandIn({"Violence": 6})
    classifier.hold = True
    second = opinion(classifier, grace_s=30.0)
    check = second.start("text", None)
    answer = asyncio.ensure_future(answered())
    await answer
    asyncio.get_running_loop().call_soon(classifier.release.set)
    flag = await second.race(check, answer)
    assert flag is not None
    assert flag.crisis_category == "safeguarding"


@pytest.mark.parametrize(
    "error", [ClassifierError(Outcome.UNAVAILABLE), ClassifierError(Outcome.RATE_LIMITED, 1.0)]
)
async def test_failing_check_is_a_check_without_a_flag(error: Exception) -> None:
    """A check that fails returns no flag (and raises nothing into chat)."""
    second = opinion(StandIn(error=error))
    check = second.start("text", None)
    assert check is not None
    assert await check is None


async def test_open_breaker_skips_the_check() -> None:
    """Three failed checks open the content_safety breaker; the fourth is not sent."""
    classifier = StandIn(error=ClassifierError(Outcome.UNAVAILABLE))
    second = opinion(classifier)
    for _ in range(3):
        check = second.start("text", None)
        assert check is not None
        await check
        await second.outcomes.settled()
    check = second.start("text", None)
    assert check is not None
    assert await check is None
    assert classifier.calls == 3


async def test_owed_reply_flags_the_next_message() -> None:
    """A conversation owed a crisis reply is flagged whatever the classifier says."""
    pending = MemoryPendingCrisis()
    pending.owe("ref-1", "self_harm")
    second = opinion(StandIn({}), pending=pending)
    check = second.start("ordinary text", "ref-1")
    assert check is not None
    flag = await check
    assert flag is not None
    assert flag.crisis_category == "self_harm"


async def test_late_flag_escalates_and_owes_the_next_reply() -> None:
    """A flag after the answer calls the escalation and records the owed reply."""
    pending = MemoryPendingCrisis()
    classifier = StandIn({"SelfHarm": 4})
    classifier.hold = True
    second = opinion(classifier, pending=pending)
    check = second.start("text", "ref-2")
    escalated: list[ClassifierFlag] = []
    done = asyncio.Event()

    async def escalate(flag: ClassifierFlag) -> None:
        escalated.append(flag)
        done.set()

    second.follow(check, "ref-2", escalate)
    classifier.release.set()
    await asyncio.wait_for(done.wait(), 30.0)
    assert [f.crisis_category for f in escalated] == ["self_harm"]
    assert pending.take("ref-2") == "self_harm"


async def test_check_without_a_flag_is_not_followed() -> None:
    """A check that finished without a flag escalates nothing afterwards."""
    second = opinion(StandIn({"SelfHarm": 2}))
    check = second.start("text", "ref-3")
    assert check is not None
    assert await check is None
    calls: list[Any] = []

    async def escalate(flag: ClassifierFlag) -> None:
        calls.append(flag)

    second.follow(check, "ref-3", escalate)
    await asyncio.sleep(0)
    assert calls == []


def test_off_layer_starts_no_check_and_says_why() -> None:
    """With no classifier, start returns None and describe gives the reason."""
    second = opinion(StandIn())
    second.classifier = None
    second.off_reason = "CONTENT_SAFETY_ENDPOINT is not set"
    assert second.start("text", None) is None
    assert second.describe() == {"enabled": False, "reason": "CONTENT_SAFETY_ENDPOINT is not set"}
