"""Real model timing end to end: streamed provider calls through the dev host, against the
simulated providers writing at a model's pace, with the first-token, stall and total times.

These tests spend real seconds on purpose (a provider writing a long answer, a late first
token): the time is the simulated provider's, at the network edge, and the assertions are
outcomes and coarse bounds, never tight upper limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from simulators.faults import Fault, FaultKind
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.integration

QUESTION = "What are the symptoms of ovarian cancer?"
FIRST_TOKEN_S = 3.0
STALL_S = 1.0


def timings(data: dict[str, Any]) -> None:
    """The shipped stream times' shape with a 3 s first token and a short stall, and a budget
    that fits a failover followed by a whole, slow answer."""
    data["budget_s"] = 15.0
    for tier in data["tiers"]:
        tier["first_token_s"] = FIRST_TOKEN_S
        tier["stall_s"] = STALL_S
        tier["total_s"] = 10.0


def chat(gateway: Gateway) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    body = gateway.chat(QUESTION)
    return body, time.monotonic() - started


@pytest.mark.safety("H04")
def test_a_healthy_tier_that_takes_five_seconds_to_write_answers(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Tier 1 writing a long answer for about 5 s (past the old 3 s timeout) answers the
    request itself, and its breaker stays closed."""
    gateway = start_gateway(edit_failover=timings)
    gateway.sims.set_fault(
        "openai", Fault(FaultKind.OK, first_token_ms=400, tokens_per_s=70, answer_tokens=320)
    )
    body, took = chat(gateway)
    failover = body["failover"]
    assert (failover["tier"], failover["provider"]) == (1, "openai")
    assert [a["outcome"] for a in failover["attempts"]] == ["ok"]
    assert took >= 4.5, "the provider really wrote for about five seconds"
    assert failover["attempts"][0]["ms"] >= 4500
    assert len(body["choices"][0]["message"]["content"].split()) == 320
    assert gateway.sims.last_recorded("openai").stream is True  # type: ignore[union-attr]
    [view] = gateway.runtime.breakers.states(["openai"])
    assert view.state.value == "closed"
    assert gateway.sims.count("azure_openai") == 0


def test_a_first_token_later_than_three_seconds_moves_to_tier_two_at_three_seconds(
    start_gateway: Callable[..., Gateway],
) -> None:
    """No first content within 3 s is a timeout: tier 2 answers, about 3 s in."""
    gateway = start_gateway(edit_failover=timings)
    gateway.sims.set_fault("openai", Fault(FaultKind.OK, first_token_ms=8000))
    body, took = chat(gateway)
    failover = body["failover"]
    assert (failover["tier"], failover["provider"]) == (2, "azure_openai")
    first = failover["attempts"][0]
    assert (first["provider"], first["outcome"]) == ("openai", "timeout")
    assert FIRST_TOKEN_S * 1000 <= first["ms"] < FIRST_TOKEN_S * 1000 + 1000
    assert took < 6.0, "failed over at the first-token deadline, not at the provider's pace"


@pytest.mark.safety("H07")
def test_a_stall_after_twenty_tokens_moves_on_without_the_partial_text(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Twenty tokens, then silence: a timeout at about the stall time, and the answer is tier
    2's alone: not one word of the stalled stream reaches the bot."""
    gateway = start_gateway(edit_failover=timings)
    stalled = "partialmarker " * 40
    gateway.sims.set_fault(
        "openai",
        Fault(
            FaultKind.STALL,
            first_token_ms=100,
            tokens_per_s=200,
            stall_after_tokens=20,
            answer=stalled,
        ),
    )
    body, _ = chat(gateway)
    failover = body["failover"]
    assert (failover["tier"], failover["provider"]) == (2, "azure_openai")
    first = failover["attempts"][0]
    assert (first["provider"], first["outcome"]) == ("openai", "timeout")
    # 0.1 s to the first token, 20 tokens at 200/s, then the stall time.
    assert first["ms"] >= STALL_S * 1000
    assert first["ms"] < FIRST_TOKEN_S * 1000, "noticed at the stall time, not later"
    text = body["choices"][0]["message"]["content"]
    assert "partialmarker" not in text
    assert text.startswith("[simulated azure_openai]")


@pytest.mark.safety("H07")
def test_a_dropped_stream_is_unavailable(start_gateway: Callable[..., Gateway]) -> None:
    """A connection dropped mid-stream is unavailable; the next tier answers."""
    gateway = start_gateway(edit_failover=timings)
    gateway.sims.set_fault(
        "openai", Fault(FaultKind.DROP, drop_after_tokens=10, answer="droppedmarker " * 30)
    )
    body, _ = chat(gateway)
    failover = body["failover"]
    assert (failover["tier"], failover["provider"]) == (2, "azure_openai")
    assert failover["attempts"][0]["outcome"] == "unavailable"
    assert "droppedmarker" not in body["choices"][0]["message"]["content"]


@pytest.mark.safety("H07")
def test_a_stream_without_its_final_event_is_unavailable(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A whole answer whose stream ends without its final event is not trusted: unavailable."""
    gateway = start_gateway(edit_failover=timings)
    gateway.sims.set_fault("anthropic", Fault(FaultKind.NO_FINAL))
    gateway.sims.set_fault("openai", Fault(FaultKind.STATUS, status=503))
    gateway.sims.set_fault("azure_openai", Fault(FaultKind.STATUS, status=503))
    body, _ = chat(gateway)
    failover = body["failover"]
    assert failover["provider"] == "emergency"
    assert [a["outcome"] for a in failover["attempts"]] == [
        "unavailable",
        "unavailable",
        "unavailable",
    ]
