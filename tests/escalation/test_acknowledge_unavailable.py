"""Acknowledging while the Durable backend is unavailable: an orchestrated escalation gets a
503 "try again", never "no such escalation"; a queued one is acknowledged in the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.escalation import Escalator
from shared.platform import OrchestrationsUnavailable
from tests.observability.helpers import unit_runtime

ESCALATION = "esc-" + "ab" * 16
LINKS = {"ACK_LINK_KEY": "unit-test-key", "ACK_BASE_URL": "https://gateway.invalid"}


@dataclass
class Unavailable:
    """The orchestration port while the task hub cannot be read."""

    calls: list[str] = field(default_factory=list)

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        self.calls.append("start")
        raise OrchestrationsUnavailable("500")

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        self.calls.append("poll")
        raise OrchestrationsUnavailable("500")

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        self.calls.append("raise_event")
        raise OrchestrationsUnavailable("500")


def escalator() -> Escalator:
    return unit_runtime(env={**LINKS, "ACK_REGION": "uksouth"}).escalator


def token(esc: Escalator) -> str:
    assert esc.links is not None
    return esc.links.signer.token(ESCALATION, datetime.now(UTC).isoformat())


def queued(esc: Escalator) -> None:
    """The rows the fallback queue's first step writes for an escalation it delivers."""
    esc.store.audit(ESCALATION, "started", {"via": "queue", "kind": "crisis"})


@pytest.mark.safety("H03")
async def test_the_operator_route_is_503_not_404_while_the_backend_fails() -> None:
    """POST /api/escalations/{id}/ack answers 503 with Retry-After, never 'no such escalation'."""
    reply = await escalator().acknowledge(ESCALATION, Unavailable())
    assert reply.status == 503
    assert reply.body["error"]["code"] == "unavailable"
    assert reply.headers["Retry-After"] == "60"


async def test_the_link_is_not_unknown_while_the_backend_fails() -> None:
    """The link's POST is not a 404 'unknown' page while the status read fails."""
    esc = escalator()
    page = await esc.acknowledge_link(token(esc), Unavailable())
    assert page.status == 503
    assert page.outcome != "unknown"


@pytest.mark.safety("H03")
async def test_a_queued_escalation_is_acknowledged_by_its_link_without_the_backend() -> None:
    """A queued escalation's link acknowledges once (the ack claim), asking no orchestration."""
    esc, engine = escalator(), Unavailable()
    queued(esc)
    first = await esc.acknowledge_link(token(esc), engine)
    second = await esc.acknowledge_link(token(esc), engine)
    assert (first.status, first.outcome) == (200, "acknowledged")
    assert (second.status, second.outcome) == (409, "already")
    assert esc.store.claimed(f"ack:{ESCALATION}")
    assert engine.calls == []


async def test_a_queued_escalation_is_acknowledged_by_an_operator() -> None:
    """The operator route records the acknowledgement of a queued escalation in the table."""
    esc = escalator()
    queued(esc)
    reply = await esc.acknowledge(ESCALATION, Unavailable())
    assert reply.status == 200
    assert esc.store.claimed(f"ack:{ESCALATION}")
