"""Telemetry end to end on the dev host, captured with in-memory exporters.

Every exported span, metric point and log record (the root logger at DEBUG, as a handler that
exports logs would see them) is captured during normal, failover and crisis requests, and
searched for marker strings planted in the message text, the user id and the conversation id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from shared.observability.observer import Observability
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import Gateway
from tests.observability.capture import Captured

pytestmark = pytest.mark.integration

Start = Callable[..., tuple[Gateway, Observability]]


def chat(gateway: Gateway, text: str, *, conversation: str, user: str) -> dict[str, object]:
    body = {
        "messages": [{"role": "user", "content": text}],
        "user": user,
        "metadata": {"conversation_id": conversation},
    }
    response = gateway.post("/api/chat", body)
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


@pytest.mark.safety("H15")
def test_no_content_or_raw_ids_leave_in_telemetry(observed_gateway: Start, otel: Captured) -> None:
    """Spans, metrics and logs of normal, failover and crisis requests hold no marker."""
    words = f"quillwort{uuid.uuid4().hex[:8]}"
    conversation = f"conv-marker-{uuid.uuid4().hex}"
    user = f"user-marker-{uuid.uuid4().hex}"
    gateway, observed = observed_gateway(otel)
    with otel.root_logs():
        chat(
            gateway,
            f"Is {words} a symptom of ovarian cancer?",
            conversation=conversation,
            user=user,
        )
        gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
        chat(gateway, f"What does {words} mean?", conversation=conversation, user=user)
        crisis = chat(
            gateway, f"{words}: I want to end my life tonight", conversation=conversation, user=user
        )
        assert observed.trail.drain(10.0)
    assert crisis["failover"]["crisis"] is True  # type: ignore[index]
    exported = otel.exported_text()
    assert len(otel.spans("chat")) == 3, "the capture saw the requests"
    assert otel.logs_exporter.get_finished_logs(), "the capture saw log records"
    for marker in (words, conversation, user):
        assert marker not in exported


def test_provider_calls_are_child_spans_of_the_chat_span(
    observed_gateway: Start, otel: Captured
) -> None:
    """The trace context crosses the orchestration: tier.attempt spans belong to chat."""
    gateway, _ = observed_gateway(otel)
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    gateway.chat("What is a smear test?")
    (request,) = otel.spans("chat")
    attempts = otel.spans("tier.attempt")
    assert [dict(s.attributes or {})["provider"] for s in attempts] == ["openai", "azure_openai"]
    assert {s.context.trace_id for s in attempts} == {request.context.trace_id}
    assert {s.parent.span_id for s in attempts if s.parent} == {request.context.span_id}
    assert [dict(s.attributes or {})["outcome"] for s in attempts] == ["unavailable", "ok"]


def test_contract_metrics_reach_the_exporter(observed_gateway: Start, otel: Captured) -> None:
    """The metric names the alert rules and workbook read are exported."""
    gateway, _ = observed_gateway(otel)
    gateway.chat("What is a smear test?")
    names = set(otel.points())
    assert {
        "askeve.chat.requests",
        "askeve.chat.latency",
        "askeve.provider.attempts",
        "askeve.provider.latency",
        "askeve.breaker.state",
        "askeve.sla.compliance",
    } <= names
