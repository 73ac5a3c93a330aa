"""The chat path end to end: the openai SDK -> dev host -> Durable orchestration -> providers."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai
import pytest

from shared.signposting import Person, compose
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import Gateway

pytestmark = pytest.mark.integration

QUESTION = "What are the early symptoms of womb cancer?"


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Poll for something another thread delivers (not a wait for a timeout to pass)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_openai_sdk_gets_a_normal_chat_completion(start_gateway: Callable[..., Gateway]) -> None:
    """The unmodified openai SDK, pointed at /api/v1, gets a ChatCompletion from tier 1."""
    gateway = start_gateway()
    completion = gateway.client().chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": QUESTION},
        ],
        max_tokens=200,
        temperature=0.3,
        user="user-123",
        metadata={"conversation_id": "conv-abc"},
    )
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    failover = (completion.model_extra or {})["failover"]
    assert failover["tier"] == 1
    assert failover["provider"] == "openai"
    assert failover["degraded"] is False
    assert failover["simulated"] is True
    assert failover["attempts"][0]["outcome"] == "ok"
    assert gateway.sims.count("openai") == 1
    assert gateway.sims.count("azure_openai") == 0


def test_whole_conversation_reaches_the_provider_with_the_safety_prompt(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Every turn arrives in order, after the configured safety system prompt."""
    gateway = start_gateway()
    turns = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi, how can I help?"},
        {"role": "user", "content": QUESTION},
    ]
    gateway.post("/api/chat", {"messages": turns})
    sent = gateway.sims.last_request("openai")
    assert sent is not None
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][0]["content"] == gateway.runtime.config.safety.system_prompt
    assert sent["messages"][1:] == turns


def test_both_chat_routes_share_one_handler(start_gateway: Callable[..., Gateway]) -> None:
    """POST /api/chat and POST /api/v1/chat/completions give the same kind of answer."""
    gateway = start_gateway()
    body = {"messages": [{"role": "user", "content": QUESTION}]}
    first = gateway.post("/api/chat", body).json()
    second = gateway.post("/api/v1/chat/completions", body).json()
    assert first["object"] == second["object"] == "chat.completion"
    assert first["failover"]["provider"] == second["failover"]["provider"] == "openai"


def test_hung_tier1_is_answered_by_tier2_after_the_tier_timeout(
    start_gateway: Callable[..., Gateway],
) -> None:
    """With tier 1 hung, the answer comes from tier 2 once tier 1's timeout has passed."""
    gateway = start_gateway(tier_timeout_s=0.6)
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.HANG))
    started = time.monotonic()
    completion = gateway.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTION}]
    )
    elapsed = time.monotonic() - started
    failover = (completion.model_extra or {})["failover"]
    assert failover["tier"] == 2
    assert failover["provider"] == "azure_openai"
    assert failover["degraded"] is True
    assert failover["attempts"][0]["provider"] == "openai"
    assert failover["attempts"][0]["outcome"] == "timeout"
    assert elapsed >= 0.45, "tier 1 was given its time before failing over"


def test_fast_tier1_failure_fails_over_without_waiting(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A 503 from tier 1 moves straight to tier 2: no tier timeout is waited out."""
    gateway = start_gateway(tier_timeout_s=5.0, budget_s=12.0)
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    started = time.monotonic()
    data = gateway.chat(QUESTION)
    assert time.monotonic() - started < 5.0
    assert data["failover"]["provider"] == "azure_openai"
    assert data["failover"]["attempts"][0]["outcome"] == "unavailable"


def test_refused_connection_fails_over(start_gateway: Callable[..., Gateway]) -> None:
    """A provider that refuses connections is unavailable, and tier 2 answers."""
    gateway = start_gateway()
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.REFUSE))
    try:
        data = gateway.chat(QUESTION)
    finally:
        gateway.sims.clear_fault("openai")
    assert data["failover"]["provider"] == "azure_openai"
    assert data["failover"]["attempts"][0]["outcome"] == "unavailable"


def test_tiers_1_and_2_down_are_answered_by_anthropic(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Tier 3 answers when tiers 1 and 2 both fail."""
    gateway = start_gateway()
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=500))
    gateway.sims.set_fault(
        "azure_openai", Fault(kind=FaultKind.STATUS, status=429, retry_after="7")
    )
    data = gateway.chat(QUESTION)
    assert data["failover"]["tier"] == 3, data["failover"]
    assert data["failover"]["provider"] == "anthropic"
    outcomes = [a["outcome"] for a in data["failover"]["attempts"]]
    assert outcomes == ["unavailable", "rate_limited", "ok"]


@pytest.mark.safety("H13")
def test_all_tiers_down_gets_the_emergency_reply_and_alerts_operations(
    start_gateway: Callable[..., Gateway],
) -> None:
    """With every LLM tier failing, tier 4 answers with pre-approved text and ops are alerted."""
    gateway = start_gateway()
    for provider in ("openai", "azure_openai", "anthropic"):
        gateway.sims.set_fault(provider, Fault(kind=FaultKind.STATUS, status=503))
    data = gateway.chat(QUESTION)
    assert data["failover"]["tier"] == 4
    assert data["failover"]["provider"] == "emergency"
    assert data["failover"]["degraded"] is True
    assert data["choices"][0]["message"]["content"] == (
        compose(gateway.runtime.gateway.signposting, "emergency", Person()).text
    )
    assert wait_for(lambda: any(r.path == "/operations" for r in gateway.webhook.received))


def test_bad_request_is_an_openai_error_not_a_500(start_gateway: Callable[..., Gateway]) -> None:
    """A malformed request becomes openai.BadRequestError, naming the field."""
    gateway = start_gateway()
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "wizard", "content": "hi"}],  # type: ignore[misc,list-item]
        )
    assert caught.value.status_code == 400
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["param"] == "messages[0].role"
    assert gateway.sims.count("openai") == 0


def test_chat_needs_the_function_key(start_gateway: Callable[..., Gateway]) -> None:
    """Without a key the dev host refuses the chat route, as Azure would."""
    gateway = start_gateway()
    response = gateway.post(
        "/api/chat", {"messages": [{"role": "user", "content": "hi"}]}, key=None
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_body_limit_is_configurable(start_gateway: Callable[..., Gateway]) -> None:
    """MAX_REQUEST_BODY_BYTES lowers the 2 MB default; a larger body is a 413."""
    gateway = start_gateway(extra={"MAX_REQUEST_BODY_BYTES": "1000"})
    body = {"messages": [{"role": "user", "content": "x" * 2000}]}
    response = gateway.post("/api/chat", body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
