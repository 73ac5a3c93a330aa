"""``Escalator.acknowledge_link``: once, in its own region, and never a 500."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.escalation import ACK_EVENT, Escalator
from shared.escalation.store import MemoryEscalationStore
from tests.observability.helpers import unit_runtime

ESCALATION = "esc-" + "cd" * 16
LINKS = {"ACK_LINK_KEY": "unit-test-key", "ACK_BASE_URL": "https://gateway.invalid"}


@dataclass
class Engine:
    """The Durable client as the escalator sees it: a state, and the events raised."""

    state: str = "running"
    poll_error: Exception | None = None
    raised: list[tuple[str, str]] = field(default_factory=list)

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        return instance_id or "instance"

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        if self.poll_error is not None:
            raise self.poll_error
        return self.state, None

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        self.raised.append((instance_id, name))


class BrokenStore(MemoryEscalationStore):
    def claim(self, key: str, now: float, window_s: float) -> bool:
        raise OSError("table unreachable")


def escalator(region: str = "uksouth", **extra: str) -> Escalator:
    env = {**LINKS, "ACK_REGION": region, **extra}
    return unit_runtime(env=env).escalator


def token(esc: Escalator, region: str | None = None) -> str:
    assert esc.links is not None
    signer = esc.links.signer
    if region is not None:
        signer = type(signer)(signer.key, region, signer.ttl_s)
    return signer.token(ESCALATION, datetime.now(UTC).isoformat())


async def test_a_genuine_token_raises_the_ack_event_once() -> None:
    """The first post acknowledges; a second is 409 ``already`` and raises nothing more."""
    esc, engine = escalator(), Engine()
    first = await esc.acknowledge_link(token(esc), engine)
    second = await esc.acknowledge_link(token(esc), engine)
    assert (first.status, first.outcome) == (200, "acknowledged")
    assert (second.status, second.outcome) == (409, "already")
    assert engine.raised == [(ESCALATION, ACK_EVENT)]


async def test_a_finished_escalation_is_409_and_changes_nothing() -> None:
    """An escalation that has ended is not acknowledged again."""
    esc, engine = escalator(), Engine(state="completed")
    page = await esc.acknowledge_link(token(esc), engine)
    assert (page.status, page.outcome) == (409, "finished")
    assert engine.raised == []


async def test_an_unreachable_durable_backend_is_a_503_page_not_a_500() -> None:
    """A failing status query answers 503 ``try_again``."""
    esc = escalator()
    page = await esc.acknowledge_link(token(esc), Engine(poll_error=OSError("down")))
    assert (page.status, page.outcome) == (503, "try_again")


async def test_without_the_claim_table_the_nurse_is_still_acknowledged() -> None:
    """If the once-only claim cannot be written, the acknowledgement still goes through."""
    esc, engine = escalator(), Engine()
    esc.store = BrokenStore()
    page = await esc.acknowledge_link(token(esc), engine)
    assert (page.status, page.outcome) == (200, "acknowledged")
    assert engine.raised == [(ESCALATION, ACK_EVENT)]


async def test_a_region_without_an_address_is_a_502() -> None:
    """A token for a region this app cannot reach gets 502 ``unreachable``; nothing raised."""
    esc, engine = escalator(), Engine()
    page = await esc.acknowledge_link(token(esc, "ukwest"), engine)
    assert (page.status, page.outcome) == (502, "unreachable")
    assert engine.raised == []


async def test_a_forwarded_token_for_another_region_is_never_forwarded_again() -> None:
    """A host that receives a forwarded token that is not its own answers 421, no loop."""
    esc = escalator(ACK_REGION_URLS="ukwest=https://west.invalid")
    page = await esc.acknowledge_link(token(esc, "ukwest"), Engine(), forwarded=True)
    assert (page.status, page.outcome) == (421, "unreachable")


async def test_the_confirmation_carries_the_token_to_post() -> None:
    """GET's answer names the escalation and carries the token for the form (the e2e test
    shows it changes nothing)."""
    esc = escalator()
    sent = token(esc)
    page = await esc.nurse_view(sent)
    assert (page.status, page.outcome, page.escalation_id) == (200, "confirm", ESCALATION)
    assert page.token == sent
