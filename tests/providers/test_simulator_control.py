"""The simulators speak each provider's wire format and obey the control API."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from simulators import PROVIDERS, Fault, FaultKind, Pacing, SimulatedProviders
from simulators.pacing import INSTANT

pytestmark = pytest.mark.integration

OPENAI_BODY = {"model": "sim-gpt", "messages": [{"role": "user", "content": "PRIVATE-QUESTION"}]}
ANTHROPIC_BODY = {
    "model": "sim-claude",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": "PRIVATE-QUESTION"}],
}
OPENAI_AUTH = {"Authorization": "Bearer sk-test-not-a-real-key"}
ANTHROPIC_AUTH = {"x-api-key": "sk-ant-test-not-a-real-key", "anthropic-version": "2023-06-01"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client, closed after the test."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, url: str, **options: Any
) -> tuple[int, dict[str, str], str]:
    async with http.request(method, url, **options) as response:
        return response.status, dict(response.headers), await response.text()


async def openai(http: aiohttp.ClientSession, sims: SimulatedProviders) -> tuple[int, Any]:
    status, _, text = await call(
        http,
        "POST",
        f"{sims.openai_base_url}/chat/completions",
        json=OPENAI_BODY,
        headers=OPENAI_AUTH,
    )
    return status, json.loads(text)


async def anthropic(http: aiohttp.ClientSession, sims: SimulatedProviders) -> tuple[int, Any]:
    status, _, text = await call(
        http,
        "POST",
        f"{sims.anthropic_base_url}/v1/messages",
        json=ANTHROPIC_BODY,
        headers=ANTHROPIC_AUTH,
    )
    return status, json.loads(text)


async def control(
    http: aiohttp.ClientSession, sims: SimulatedProviders, method: str, path: str, **options: Any
) -> tuple[int, Any]:
    status, _, text = await call(http, method, f"{sims.control_url}/_sim/{path}", **options)
    return status, json.loads(text)


async def until(condition: Any, timeout_s: float = 5.0) -> None:
    """Wait for a condition the simulator's thread will make true (bounded)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_openai_answer_has_the_real_shape(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """A chat.completion with id, created, model, choices and usage."""
    status, body = await openai(http, sims)
    assert status == 200
    assert body["object"] == "chat.completion"
    assert {"id", "created", "model", "choices", "usage"} <= body.keys()
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )


async def test_anthropic_answer_has_the_real_shape(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """A message with text content, stop_reason and input/output usage."""
    status, body = await anthropic(http, sims)
    assert (status, body["type"], body["role"]) == (200, "message", "assistant")
    assert body["content"][0]["type"] == "text"
    assert body["stop_reason"] == "end_turn"
    assert {"input_tokens", "output_tokens"} <= body["usage"].keys()


async def test_default_answer_never_echoes_the_user(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """The simulated answer is fixed text, not derived from what the user wrote."""
    _, body = await openai(http, sims)
    text = body["choices"][0]["message"]["content"]
    assert text.startswith("[simulated openai]")
    assert "PRIVATE-QUESTION" not in text


async def test_openai_error_body_has_the_real_shape(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """OpenAI errors carry message, type, param and code."""
    sims.set_fault("openai", Fault(FaultKind.STATUS, status=429))
    status, body = await openai(http, sims)
    assert status == 429
    assert body["error"].keys() == {"message", "type", "param", "code"}


async def test_anthropic_overloaded_is_529_overloaded_error(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Anthropic's overload is a 529 with an overloaded_error body."""
    sims.set_fault("anthropic", Fault(FaultKind.STATUS, status=529))
    status, body = await anthropic(http, sims)
    assert (status, body["type"], body["error"]["type"]) == (529, "error", "overloaded_error")


async def test_azure_content_filter_is_400_content_filter(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Azure's content filter answers 400 with code content_filter."""
    sims.set_fault("azure_openai", Fault(FaultKind.CONTENT_FILTER))
    status, _, text = await call(
        http,
        "POST",
        f"{sims.azure_endpoint}/openai/deployments/dep/chat/completions?api-version=2024-10-21",
        json=OPENAI_BODY,
        headers={"api-key": "test-azure-key-not-real"},
    )
    assert (status, json.loads(text)["error"]["code"]) == (400, "content_filter")


async def test_retry_after_header_is_sent(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """The fault's Retry-After is sent as a header."""
    sims.set_fault("openai", Fault(FaultKind.STATUS, status=429, retry_after="4"))
    _, headers, _ = await call(
        http,
        "POST",
        f"{sims.openai_base_url}/chat/completions",
        json=OPENAI_BODY,
        headers=OPENAI_AUTH,
    )
    assert headers["Retry-After"] == "4"


@pytest.mark.parametrize(
    ("kind", "parses", "has_choices"),
    [
        (FaultKind.MALFORMED, False, False),
        (FaultKind.TRUNCATED, False, False),
        (FaultKind.WRONG_SHAPE, True, False),
    ],
)
async def test_broken_200_bodies(
    http: aiohttp.ClientSession,
    sims: SimulatedProviders,
    kind: FaultKind,
    parses: bool,
    has_choices: bool,
) -> None:
    """Broken bodies come with status 200: not JSON, cut JSON, or JSON without choices."""
    sims.set_fault("openai", Fault(kind))
    status, _, text = await call(
        http,
        "POST",
        f"{sims.openai_base_url}/chat/completions",
        json=OPENAI_BODY,
        headers=OPENAI_AUTH,
    )
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    assert (status, body is not None, bool(body and "choices" in body)) == (
        200,
        parses,
        has_choices,
    )


async def test_missing_credentials_are_401(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Without a key the provider answers 401, like the real API."""
    status, _, _ = await call(
        http, "POST", f"{sims.openai_base_url}/chat/completions", json=OPENAI_BODY
    )
    assert status == 401


async def test_anthropic_requires_alternating_turns(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Non-alternating turns are a 400, so a bad translation fails loudly."""
    body = {**ANTHROPIC_BODY, "messages": [{"role": "assistant", "content": "hi"}]}
    status, _, text = await call(
        http, "POST", f"{sims.anthropic_base_url}/v1/messages", json=body, headers=ANTHROPIC_AUTH
    )
    assert (status, json.loads(text)["error"]["type"]) == (400, "invalid_request_error")


async def test_azure_requires_api_version(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Without api-version Azure answers 404, as the real service does."""
    status, _, _ = await call(
        http,
        "POST",
        f"{sims.azure_endpoint}/openai/deployments/dep/chat/completions",
        json=OPENAI_BODY,
        headers={"api-key": "test-azure-key-not-real"},
    )
    assert status == 404


async def test_control_api_sets_a_fault(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """POST /_sim/fault injects a fault into the named provider."""
    status, _ = await control(
        http, sims, "POST", "fault", json={"provider": "openai", "kind": "status", "status": 503}
    )
    assert (status, (await openai(http, sims))[0]) == (200, 503)


async def test_control_api_refuses_an_invalid_fault(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """An invalid fault is a 400 that says what is wrong."""
    status, body = await control(
        http, sims, "POST", "fault", json={"provider": "openai", "kind": "status"}
    )
    assert (status, "status" in body["error"]) == (400, True)


async def test_control_api_refuses_an_unknown_provider(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Naming no known provider is a 400."""
    status, _ = await control(http, sims, "POST", "fault", json={"provider": "x", "kind": "hang"})
    assert status == 400


async def test_control_api_clears_a_fault(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """DELETE /_sim/fault/{provider} restores normal answers."""
    sims.set_fault("openai", Fault(FaultKind.STATUS, status=500))
    await control(http, sims, "DELETE", "fault/openai")
    assert (await openai(http, sims))[0] == 200


async def test_stats_count_faulted_requests_and_keep_the_last_body(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """GET /_sim/stats counts every request, faulted or not, and shows the last body."""
    await openai(http, sims)
    sims.set_fault("openai", Fault(FaultKind.STATUS, status=500))
    await openai(http, sims)
    _, stats = await control(http, sims, "GET", "stats")
    assert stats["openai"]["requests"] == 2
    assert stats["openai"]["last_request"]["body"] == OPENAI_BODY
    assert stats["anthropic"]["requests"] == 0


async def test_reset_zeroes_counters_and_faults(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """POST /_sim/reset clears faults, counters and recorded requests."""
    sims.set_fault("openai", Fault(FaultKind.STATUS, status=500))
    await openai(http, sims)
    await control(http, sims, "POST", "reset")
    assert (sims.count("openai"), sims.last_request("openai")) == (0, None)
    assert (await openai(http, sims))[0] == 200


async def test_counted_fault_applies_to_the_next_n_requests_only(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """A fault with count=2 fails two requests, then the provider recovers."""
    sims.set_fault("openai", Fault(FaultKind.STATUS, status=500, count=2))
    statuses = [(await openai(http, sims))[0] for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_hang_is_released_when_the_fault_is_cleared(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """A hung request stays unanswered until the fault is cleared, then answers normally."""
    sims.set_fault("openai", Fault(FaultKind.HANG))
    pending = asyncio.ensure_future(openai(http, sims))
    await until(lambda: sims.count("openai") == 1)
    assert not pending.done()
    sims.clear_fault("openai")
    assert (await pending)[0] == 200


async def test_counted_hang_outlives_its_count(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """A count=1 hang holds its request while the next request is answered."""
    sims.set_fault("openai", Fault(FaultKind.HANG, count=1))
    pending = asyncio.ensure_future(openai(http, sims))
    await until(lambda: sims.count("openai") == 1)
    assert (await openai(http, sims))[0] == 200
    assert not pending.done()
    sims.clear_fault("openai")
    await pending


async def test_hang_does_not_block_other_providers(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """While OpenAI hangs, Anthropic still answers."""
    sims.set_fault("openai", Fault(FaultKind.HANG))
    pending = asyncio.ensure_future(openai(http, sims))
    await until(lambda: sims.count("openai") == 1)
    assert (await anthropic(http, sims))[0] == 200
    sims.clear_fault("openai")
    await pending


def test_refusal_closes_and_reopens_the_same_port(sims: SimulatedProviders) -> None:
    """A refused provider's port rejects connections until the fault is cleared."""
    port = sims.port("anthropic")
    sims.set_fault("anthropic", Fault(FaultKind.REFUSE))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    sims.clear_fault("anthropic")
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert sims.port("anthropic") == port


async def test_stop_does_not_wait_for_hung_requests(http: aiohttp.ClientSession) -> None:
    """Stopping with a request still hung returns promptly and ends that request."""
    private = SimulatedProviders()
    try:
        private.set_fault("openai", Fault(FaultKind.HANG))
        pending = asyncio.ensure_future(openai(http, private))
        await until(lambda: private.count("openai") == 1)
        started = time.monotonic()
        private.stop()
        assert time.monotonic() - started < 1.5
        assert (await pending)[0] == 503
    finally:
        private.stop()


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "ok", "first_token_ms": 5000, "tokens_per_s": 80.5, "answer_tokens": 300},
        {"kind": "stall", "stall_after_tokens": 0},
        {"kind": "drop", "drop_after_tokens": 12, "count": 1},
        {"kind": "no_final", "answer": "short"},
    ],
    ids=["slow-first-token", "stall", "drop", "no-final"],
)
async def test_control_api_round_trips_the_stream_fault_fields(
    http: aiohttp.ClientSession, sims: SimulatedProviders, fault: dict[str, Any]
) -> None:
    """POST /_sim/fault accepts the pacing and stream-fault fields and reports them back."""
    status, body = await control(http, sims, "POST", "fault", json={"provider": "openai", **fault})
    _, stats = await control(http, sims, "GET", "stats")
    assert (status, body["fault"], stats["openai"]["fault"]) == (200, fault, fault)


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ({"kind": "stall"}, "stall_after_tokens"),
        ({"kind": "drop", "drop_after_tokens": -1}, "drop_after_tokens"),
        ({"kind": "ok", "tokens_per_s": -5}, "tokens_per_s"),
        ({"kind": "hang", "first_token_ms": 100}, "first_token_ms"),
        ({"kind": "ok", "stall_after_tokens": 3}, "stall_after_tokens"),
    ],
    ids=["stall-without-count", "negative-drop", "negative-rate", "paced-hang", "stray-count"],
)
async def test_control_api_refuses_invalid_stream_faults(
    http: aiohttp.ClientSession, sims: SimulatedProviders, fault: dict[str, Any], field: str
) -> None:
    """Invalid stream faults are a 400 naming the field."""
    status, body = await control(http, sims, "POST", "fault", json={"provider": "openai", **fault})
    assert (status, field in body["error"]) == (400, True)


@pytest.fixture
def pacing_restored(sims: SimulatedProviders) -> Iterator[SimulatedProviders]:
    """The simulators, with every provider's pacing instant again after the test."""
    yield sims
    sims.set_pacing(INSTANT)


async def test_control_api_sets_every_providers_pacing(
    http: aiohttp.ClientSession, pacing_restored: SimulatedProviders
) -> None:
    """POST /_sim/pacing without a provider paces them all, and stats show it."""
    pacing = {"first_token_ms": 400, "tokens_per_s": 80.0, "answer_tokens": 300}
    status, body = await control(http, pacing_restored, "POST", "pacing", json=pacing)
    _, stats = await control(http, pacing_restored, "GET", "stats")
    assert status == 200
    assert {p: body[p] for p in PROVIDERS} == dict.fromkeys(PROVIDERS, pacing)
    assert {stats[p]["pacing"]["first_token_ms"] for p in PROVIDERS} == {400}


async def test_control_api_sets_one_providers_pacing(
    http: aiohttp.ClientSession, pacing_restored: SimulatedProviders
) -> None:
    """POST /_sim/pacing with a provider paces that one only; missing numbers are instant."""
    await control(
        http, pacing_restored, "POST", "pacing", json={"provider": "anthropic", "tokens_per_s": 50}
    )
    assert pacing_restored.pacing("anthropic") == Pacing(tokens_per_s=50)
    assert pacing_restored.pacing("openai") == INSTANT


async def test_reset_keeps_the_pacing(
    http: aiohttp.ClientSession, pacing_restored: SimulatedProviders
) -> None:
    """POST /_sim/reset clears faults and counters, not the pacing."""
    await control(http, pacing_restored, "POST", "pacing", json={"first_token_ms": 10})
    await control(http, pacing_restored, "POST", "reset")
    assert pacing_restored.pacing("azure_openai").first_token_ms == 10


@pytest.mark.parametrize(
    "pacing",
    [
        {"first_token_ms": -1},
        {"tokens_per_s": "fast"},
        {"answer_tokens": 0},
        {"speed": 3},
        {"provider": "gemini", "first_token_ms": 1},
    ],
    ids=[
        "negative-first-token",
        "string-rate",
        "empty-answer",
        "unknown-field",
        "unknown-provider",
    ],
)
async def test_control_api_refuses_invalid_pacing(
    http: aiohttp.ClientSession, sims: SimulatedProviders, pacing: dict[str, Any]
) -> None:
    """An invalid pacing is a 400 and changes nothing."""
    status, body = await control(http, sims, "POST", "pacing", json=pacing)
    assert (status, bool(body["error"]), sims.pacing("openai")) == (400, True, INSTANT)
