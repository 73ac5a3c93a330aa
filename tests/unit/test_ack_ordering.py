"""Raise, then claim: a failure between the two never leaves "already acknowledged" behind an
acknowledgement the escalation did not receive; a Durable backend that cannot answer gets
"try again in a minute"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from api.acknowledge import render_page
from shared.escalation import ACK_EVENT
from shared.escalation.store import MemoryEscalationStore
from shared.platform import OrchestrationsUnavailable
from tests.unit.test_ack_by_link import ESCALATION, Engine, escalator, token


@dataclass
class FlakyEngine(Engine):
    """An engine whose first ``raise_event`` fails as a Durable backend does."""

    raise_failures: int = 1

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        if self.raise_failures:
            self.raise_failures -= 1
            raise OrchestrationsUnavailable("raise event answered 500")
        await super().raise_event(instance_id, name, data)


class ClaimFailsOnce(MemoryEscalationStore):
    """A store whose first claim write fails (storage dropped after the event was raised)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    def claim(self, key: str, now: float, window_s: float) -> bool:
        if self.failures:
            self.failures -= 1
            raise OSError("table unreachable")
        return super().claim(key, now, window_s)


@pytest.mark.safety("H03")
async def test_a_raise_that_fails_leaves_no_claim_so_the_retry_acknowledges() -> None:
    """Raise fails: 503 ``try_again``; the retry raises the event and is ``acknowledged``."""
    esc, engine = escalator(), FlakyEngine()
    first = await esc.acknowledge_link(token(esc), engine)
    retry = await esc.acknowledge_link(token(esc), engine)
    assert (first.status, first.outcome) == (503, "try_again")
    assert (retry.status, retry.outcome) == (200, "acknowledged")
    assert engine.raised == [(ESCALATION, ACK_EVENT)]


@pytest.mark.safety("H03")
async def test_a_claim_that_fails_after_the_raise_still_acknowledges() -> None:
    """Claim write fails after the raise: the event is in, so the page says acknowledged."""
    esc, engine = escalator(), Engine()
    esc.store = ClaimFailsOnce()
    page = await esc.acknowledge_link(token(esc), engine)
    assert (page.status, page.outcome) == (200, "acknowledged")
    assert engine.raised == [(ESCALATION, ACK_EVENT)]


@pytest.mark.safety("H03")
async def test_a_retry_after_a_failed_claim_is_already_and_raises_no_more() -> None:
    """After an acknowledgement whose claim was lost, a retry is ``already``: the audit trail
    has the acknowledgement, and no second event is raised."""
    esc, engine = escalator(), Engine()
    esc.store = ClaimFailsOnce()
    await esc.acknowledge_link(token(esc), engine)
    retry = await esc.acknowledge_link(token(esc), engine)
    assert (retry.status, retry.outcome) == (409, "already")
    assert engine.raised == [(ESCALATION, ACK_EVENT)]


@pytest.mark.safety("H03")
async def test_a_raise_on_an_escalation_that_just_finished_is_finished() -> None:
    """The raise fails because the escalation ended since the poll: 409 ``finished``."""

    @dataclass
    class EndsBeforeRaise(Engine):
        async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
            self.state = "completed"
            raise RuntimeError("Instance is gone: either completed or failed")

    esc = escalator()
    page = await esc.acknowledge_link(token(esc), EndsBeforeRaise())
    assert (page.status, page.outcome) == (409, "finished")


@pytest.mark.safety("H03")
async def test_an_unavailable_backend_says_try_again_in_a_minute() -> None:
    """A status read that raises OrchestrationsUnavailable is a 503 page that says to try
    again in a minute, never a 500 and never "no such escalation"."""
    esc = escalator()
    engine = Engine(poll_error=OrchestrationsUnavailable("status answered 500"))
    page = await esc.acknowledge_link(token(esc), engine)
    assert (page.status, page.outcome) == (503, "try_again")
    assert "Try again in a minute" in render_page(page)
    assert engine.raised == []
