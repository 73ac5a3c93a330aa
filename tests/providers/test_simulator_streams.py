"""Streamed answers: each provider's SSE wire format, pacing, and the stream faults.

Timing assertions are lower bounds and orderings only, so a loaded machine cannot fail them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import anthropic
import httpx2
import openai
import pytest
from anthropic import AsyncAnthropic
from openai import AsyncAzureOpenAI, AsyncOpenAI

from simulators import Fault, FaultKind, Pacing, ProviderName, SimulatedProviders
from simulators.pacing import INSTANT
from simulators.wire import default_answer

pytestmark = pytest.mark.integration

KEY = "sk-test-not-a-real-key"
QUESTION = [{"role": "user", "content": "PRIVATE-QUESTION"}]
ANSWER = "alpha beta gamma delta epsilon zeta eta theta"  # eight word tokens
# Small enough for a loaded two-core machine, large enough to measure.
PACED = {"first_token_ms": 200, "tokens_per_s": 200.0, "answer_tokens": 40}
QUIET_S = 0.4  # how long "nothing more arrives" is watched for


@pytest.fixture
async def clients(
    sims: SimulatedProviders,
) -> AsyncIterator[tuple[AsyncOpenAI, AsyncAzureOpenAI, AsyncAnthropic]]:
    """The three real SDK clients on the simulators, without retries."""
    clients = (
        AsyncOpenAI(base_url=sims.openai_base_url, api_key=KEY, max_retries=0),
        AsyncAzureOpenAI(
            azure_endpoint=sims.azure_endpoint,
            api_key=KEY,
            api_version="2024-10-21",
            max_retries=0,
        ),
        AsyncAnthropic(base_url=sims.anthropic_base_url, api_key=KEY, max_retries=0),
    )
    yield clients
    for client in clients:
        await client.close()


class Streamed:
    """What a client saw of one streamed answer, with when each text delta arrived."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.opened = 0.0  # when the SDK returned the stream (headers received)
        self.deltas: list[str] = []
        self.arrivals: list[float] = []
        self.finish: str | None = None
        self.usage: tuple[int, int] | None = None
        self.events: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.deltas)

    def delta(self, text: str) -> None:
        self.deltas.append(text)
        self.arrivals.append(time.monotonic() - self.started)


async def stream_openai(client: AsyncOpenAI, seen: Streamed, **options: Any) -> Streamed:
    """Stream one chat completion through the openai SDK into ``seen``."""
    stream = await client.chat.completions.create(
        model="sim-gpt",
        messages=QUESTION,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        **options,
    )
    seen.opened = time.monotonic() - seen.started
    async for chunk in stream:
        if chunk.usage is not None:
            seen.usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        for choice in chunk.choices:
            if choice.delta.content:
                seen.delta(choice.delta.content)
            seen.finish = choice.finish_reason or seen.finish
    return seen


async def stream_anthropic(
    client: AsyncAnthropic, seen: Streamed, max_tokens: int = 500
) -> Streamed:
    """Stream one message through the anthropic SDK's ``messages.stream`` into ``seen``."""
    async with client.messages.stream(
        model="sim-claude",
        max_tokens=max_tokens,
        messages=QUESTION,  # type: ignore[arg-type]
    ) as stream:
        seen.opened = time.monotonic() - seen.started
        async for event in stream:
            seen.events.append(event.type)
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                seen.delta(event.delta.text)
        final = await stream.get_final_message()
    seen.finish = final.stop_reason
    seen.usage = (final.usage.input_tokens, final.usage.output_tokens)
    return seen


async def stream(
    provider: ProviderName,
    clients: tuple[AsyncOpenAI, AsyncAzureOpenAI, AsyncAnthropic],
    seen: Streamed | None = None,
    **options: Any,
) -> Streamed:
    """Stream one answer from ``provider`` through its real SDK."""
    seen = seen or Streamed(time.monotonic())
    if provider == "anthropic":
        return await stream_anthropic(clients[2], seen, **options)
    client = clients[0] if provider == "openai" else clients[1]
    return await stream_openai(client, seen, **options)


PROVIDER_NAMES: list[ProviderName] = ["openai", "azure_openai", "anthropic"]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client, closed after the test."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def raw_request(sims: SimulatedProviders, provider: ProviderName) -> tuple[str, dict[str, Any]]:
    """URL and options of a raw streamed request to ``provider``."""
    if provider == "anthropic":
        return f"{sims.anthropic_base_url}/v1/messages", {
            "json": {"model": "c", "max_tokens": 500, "messages": QUESTION, "stream": True},
            "headers": {"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        }
    body = {"model": "m", "messages": QUESTION, "stream": True}
    if provider == "openai":
        return f"{sims.openai_base_url}/chat/completions", {
            "json": body,
            "headers": {"Authorization": f"Bearer {KEY}"},
        }
    url = f"{sims.azure_endpoint}/openai/deployments/d/chat/completions?api-version=2024-10-21"
    return url, {"json": body, "headers": {"api-key": KEY}}


def parse_sse(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) of every server-sent event in ``text``."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines.get("event"), lines["data"]))
    return events


async def raw_stream(
    http: aiohttp.ClientSession, sims: SimulatedProviders, provider: ProviderName
) -> tuple[int, str, list[tuple[str | None, str]]]:
    """Status, content type and events of a raw streamed request read to its clean end."""
    url, options = raw_request(sims, provider)
    async with http.post(url, **options) as response:
        text = await response.text()
        return response.status, response.content_type, parse_sse(text)


@pytest.fixture
def paced(sims: SimulatedProviders) -> Iterator[SimulatedProviders]:
    """The simulators with PACED as every provider's default pacing, instant again after."""
    sims.set_pacing(Pacing(**PACED))
    yield sims
    sims.set_pacing(INSTANT)


# The three SDKs assemble a streamed answer.


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_the_sdk_assembles_a_streamed_answer(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """The real SDK streams the whole default answer, a stop reason and usage."""
    seen = await stream(provider, clients)
    assert seen.text == default_answer(provider)
    assert seen.finish == ("end_turn" if provider == "anthropic" else "stop")
    assert seen.usage is not None
    assert seen.usage[0] > 0
    assert seen.usage[1] == len(seen.deltas)


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_a_streamed_request_is_recorded_as_streamed(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """The request log says the request asked for a stream."""
    await stream(provider, clients)
    recorded = sims.last_recorded(provider)
    assert recorded is not None
    assert (recorded.stream, sims.stats()[provider]["last_request"]["stream"]) == (True, True)


async def test_a_plain_request_is_recorded_as_not_streamed(
    sims: SimulatedProviders, clients: Any
) -> None:
    """A request without "stream": true is logged as not streamed."""
    await clients[0].chat.completions.create(model="m", messages=QUESTION)
    recorded = sims.last_recorded("openai")
    assert recorded is not None
    assert recorded.stream is False


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_max_tokens_cuts_a_stream(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """A max_tokens below the answer's length ends it there, with length / max_tokens."""
    seen = await stream(provider, clients, max_tokens=3)
    assert len(seen.deltas) == 3
    assert seen.finish == ("max_tokens" if provider == "anthropic" else "length")


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_answer_tokens_sets_the_length(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """answer_tokens repeats the text to that many tokens, and usage counts them."""
    sims.set_fault(provider, Fault(FaultKind.OK, answer=ANSWER, answer_tokens=20))
    seen = await stream(provider, clients)
    assert (len(seen.deltas), seen.usage and seen.usage[1]) == (20, 20)
    assert seen.text == f"{ANSWER} {ANSWER} alpha beta gamma delta"


# The raw wire formats.


async def test_openai_stream_has_the_real_event_sequence(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Role chunk, content chunks, a finish_reason chunk, then data: [DONE]."""
    status, content_type, events = await raw_stream(http, sims, "openai")
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert (status, content_type, events[-1]) == (200, "text/event-stream", (None, "[DONE]"))
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "",
        "refusal": None,
    }
    assert [c["choices"][0]["finish_reason"] for c in chunks[1:]][-1] == "stop"
    assert chunks[-1]["choices"][0]["delta"] == {}
    assert all("usage" not in chunk for chunk in chunks)  # include_usage was not asked


async def test_azure_stream_reports_the_prompt_filter_first(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Azure's first chunk has no choices and the prompt's content filter results."""
    _, _, events = await raw_stream(http, sims, "azure_openai")
    first, second = (json.loads(data) for _, data in events[:2])
    assert (first["choices"], first["prompt_filter_results"][0]["prompt_index"]) == ([], 0)
    assert second["choices"][0]["delta"]["role"] == "assistant"


async def test_anthropic_stream_has_the_real_event_sequence(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """message_start, content_block_start, ping, deltas, block stop, message_delta, stop."""
    status, _, events = await raw_stream(http, sims, "anthropic")
    names = [name for name, _ in events]
    deltas = names.count("content_block_delta")
    assert status == 200
    assert deltas > 1
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(json.loads(data)["type"] == name for name, data in events)
    assert json.loads(events[0][1])["message"]["usage"]["input_tokens"] > 0
    assert json.loads(events[-2][1])["usage"]["output_tokens"] == deltas


# Pacing.


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_pacing_delays_the_first_token_and_spreads_the_rest(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """Headers come at once; the first token after first_token_ms; 40 tokens at 200/s."""
    sims.set_fault(provider, Fault(FaultKind.OK, **PACED))  # type: ignore[arg-type]
    seen = await stream(provider, clients)
    assert len(seen.deltas) == 40
    assert seen.opened < seen.arrivals[0]
    assert seen.arrivals[0] >= 0.19
    assert seen.arrivals[-1] - seen.arrivals[0] >= 39 / 200 * 0.9
    assert seen.arrivals == sorted(seen.arrivals)


async def test_a_paced_plain_answer_arrives_when_its_last_token_is_due(
    sims: SimulatedProviders, clients: Any
) -> None:
    """A non-streamed answer takes first_token_ms + (n - 1) / tokens_per_s."""
    sims.set_fault("openai", Fault(FaultKind.OK, **PACED))  # type: ignore[arg-type]
    started = time.monotonic()
    answer = await clients[0].chat.completions.create(model="m", messages=QUESTION)
    assert time.monotonic() - started >= (0.2 + 39 / 200) * 0.9
    assert answer.usage is not None
    assert answer.usage.completion_tokens == 40


async def test_the_default_pacing_applies_without_a_fault(
    paced: SimulatedProviders, clients: Any
) -> None:
    """A provider's default pacing paces answers when no fault sets any."""
    seen = await stream("anthropic", clients)
    assert (len(seen.deltas), seen.arrivals[0] >= 0.19) == (40, True)


async def test_a_fault_overrides_only_the_pacing_numbers_it_sets(
    paced: SimulatedProviders, clients: Any
) -> None:
    """A fault's answer_tokens wins; the default first token delay still applies."""
    paced.set_fault("openai", Fault(FaultKind.OK, answer_tokens=5))
    seen = await stream("openai", clients)
    assert (len(seen.deltas), seen.arrivals[0] >= 0.19) == (5, True)


def test_reset_keeps_the_default_pacing(paced: SimulatedProviders) -> None:
    """Pacing is configuration: clearing faults and counters leaves it."""
    paced.clear()
    assert paced.pacing("azure_openai") == Pacing(**PACED)


async def test_pacing_can_be_set_for_one_provider(sims: SimulatedProviders, clients: Any) -> None:
    """set_pacing with a provider leaves the others instant."""
    sims.set_pacing(Pacing(first_token_ms=150), "anthropic")
    try:
        assert (sims.pacing("anthropic").first_token_ms, sims.pacing("openai")) == (150, INSTANT)
    finally:
        sims.set_pacing(INSTANT)


def test_pacing_can_be_given_at_start() -> None:
    """SimulatedProviders(pacing=...) takes one pacing for all or one per provider."""
    with SimulatedProviders(control_port=None, pacing={"openai": Pacing(answer_tokens=9)}) as s:
        assert (s.pacing("openai").answer_tokens, s.pacing("anthropic")) == (9, INSTANT)


# stall: N tokens, then nothing until the fault changes.


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_a_stall_delivers_exactly_n_tokens_then_nothing(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """After stall_after_tokens tokens the stream stays open and silent."""
    sims.set_fault(provider, Fault(FaultKind.STALL, stall_after_tokens=3, answer=ANSWER))
    seen = Streamed(time.monotonic())
    reading = asyncio.ensure_future(stream(provider, clients, seen))
    try:
        await until(lambda: len(seen.deltas) >= 3)
        await asyncio.sleep(QUIET_S)  # an observation window: nothing more may arrive
        assert seen.deltas == ["alpha ", "beta ", "gamma "]
        assert (seen.finish, reading.done()) == (None, False)
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)


async def test_a_stall_at_zero_sends_no_token(sims: SimulatedProviders, clients: Any) -> None:
    """stall_after_tokens 0: the stream opens but no text ever comes."""
    sims.set_fault("openai", Fault(FaultKind.STALL, stall_after_tokens=0))
    seen = Streamed(time.monotonic())
    reading = asyncio.ensure_future(stream("openai", clients, seen))
    try:
        await until(lambda: seen.opened > 0)
        await asyncio.sleep(QUIET_S)
        assert (seen.deltas, reading.done()) == ([], False)
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)


async def test_clearing_a_stall_lets_the_rest_follow(
    sims: SimulatedProviders, clients: Any
) -> None:
    """A stalled stream resumes and finishes when the fault is cleared."""
    sims.set_fault("anthropic", Fault(FaultKind.STALL, stall_after_tokens=2, answer=ANSWER))
    seen = Streamed(time.monotonic())
    reading = asyncio.ensure_future(stream("anthropic", clients, seen))
    await until(lambda: len(seen.deltas) == 2)
    await asyncio.sleep(QUIET_S)  # an observation window: nothing more may arrive
    assert len(seen.deltas) == 2
    sims.clear_fault("anthropic")
    await asyncio.wait_for(reading, 5)
    assert (seen.text, seen.finish) == (ANSWER, "end_turn")


async def test_a_stall_on_a_plain_request_hangs_until_cleared(
    sims: SimulatedProviders, clients: Any
) -> None:
    """A non-streamed request meets a stall as a hang, answered once the fault is cleared."""
    sims.set_fault("openai", Fault(FaultKind.STALL, stall_after_tokens=1))
    pending = asyncio.ensure_future(
        clients[0].chat.completions.create(model="m", messages=QUESTION)
    )
    await until(lambda: sims.count("openai") == 1)
    await asyncio.sleep(QUIET_S)
    assert not pending.done()
    sims.clear_fault("openai")
    answer = await asyncio.wait_for(pending, 5)
    assert answer.choices[0].finish_reason == "stop"


async def test_stopping_during_a_stall_sends_the_mid_stream_error(
    http: aiohttp.ClientSession,
) -> None:
    """Anthropic's event: error ends a stream the simulator stops under."""
    private = SimulatedProviders(control_port=None)
    try:
        private.set_fault("anthropic", Fault(FaultKind.STALL, stall_after_tokens=1))
        pending = asyncio.ensure_future(raw_stream(http, private, "anthropic"))
        await until(lambda: private.count("anthropic") == 1)
        await asyncio.sleep(0.1)
        private.stop()
        _, _, events = await asyncio.wait_for(pending, 5)
    finally:
        private.stop()
    name, data = events[-1]
    assert (name, json.loads(data)["error"]["type"]) == ("error", "overloaded_error")


async def test_openai_sdk_raises_on_the_mid_stream_error(clients: Any) -> None:
    """OpenAI's data: {"error": ...} event makes the SDK raise APIError."""
    private = SimulatedProviders(control_port=None)
    client = AsyncOpenAI(base_url=private.openai_base_url, api_key=KEY, max_retries=0)
    try:
        private.set_fault("openai", Fault(FaultKind.STALL, stall_after_tokens=1))
        seen = Streamed(time.monotonic())
        reading = asyncio.ensure_future(stream_openai(client, seen))
        await until(lambda: len(seen.deltas) == 1)
        private.stop()
        with pytest.raises(openai.APIError, match="streaming"):
            await asyncio.wait_for(reading, 5)
    finally:
        private.stop()
        await client.close()


# drop: N tokens, then the connection closes without the final events.


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_a_drop_closes_the_connection_mid_stream(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """After drop_after_tokens tokens the SDK sees the connection fail."""
    sims.set_fault(provider, Fault(FaultKind.DROP, drop_after_tokens=4, answer=ANSWER))
    seen = Streamed(time.monotonic())
    with pytest.raises(
        (openai.APIConnectionError, anthropic.APIConnectionError, httpx2.TransportError)
    ):
        await asyncio.wait_for(stream(provider, clients, seen), 5)
    assert seen.deltas == ["alpha ", "beta ", "gamma ", "delta "]


async def test_a_dropped_stream_is_not_a_clean_end(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """The chunked body is never terminated: a plain HTTP client reports a payload error."""
    sims.set_fault("openai", Fault(FaultKind.DROP, drop_after_tokens=2))
    with pytest.raises(aiohttp.ClientPayloadError):
        await raw_stream(http, sims, "openai")


async def test_a_drop_on_a_plain_request_cuts_the_body_short(
    sims: SimulatedProviders, clients: Any
) -> None:
    """A non-streamed request gets half its declared body, then a closed connection."""
    sims.set_fault("openai", Fault(FaultKind.DROP, drop_after_tokens=2))
    with pytest.raises(openai.APIConnectionError):
        await clients[0].chat.completions.create(model="m", messages=QUESTION)


# no_final: the whole answer, a clean end, but no final event.


async def test_openai_no_final_sends_no_finish_and_no_done(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Every token arrives, then the body ends cleanly with no finish_reason and no [DONE]."""
    sims.set_fault("openai", Fault(FaultKind.NO_FINAL, answer=ANSWER))
    status, _, events = await raw_stream(http, sims, "openai")
    chunks = [json.loads(data) for _, data in events]
    assert status == 200
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == ANSWER
    assert {c["choices"][0]["finish_reason"] for c in chunks} == {None}


async def test_anthropic_no_final_sends_no_message_stop(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """The answer and message_delta arrive, then the body ends without message_stop."""
    sims.set_fault("anthropic", Fault(FaultKind.NO_FINAL))
    _, _, events = await raw_stream(http, sims, "anthropic")
    assert [name for name, _ in events][-2:] == ["content_block_stop", "message_delta"]


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_the_sdk_sees_no_final_event(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """Through the SDK: the whole text, but no finish_reason (OpenAI) / no message_stop."""
    sims.set_fault(provider, Fault(FaultKind.NO_FINAL, answer=ANSWER))
    seen = await stream(provider, clients)
    assert seen.text == ANSWER
    if provider == "anthropic":
        assert "message_stop" not in seen.events
    else:
        assert (seen.finish, seen.usage) == (None, None)


async def test_no_final_on_a_plain_request_is_a_truncated_body(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """A non-streamed request gets a 200 whose JSON is cut short."""
    sims.set_fault("anthropic", Fault(FaultKind.NO_FINAL))
    url, options = raw_request(sims, "anthropic")
    options["json"] = {**options["json"], "stream": False}
    async with http.post(url, **options) as response:
        status, text = response.status, await response.text()
    assert (status, text.startswith('{"id": "msg_sim')) == (200, True)
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


# The content filter in a stream.


@pytest.mark.parametrize("provider", ["openai", "azure_openai"])
async def test_a_filtered_stream_ends_with_content_filter(
    provider: ProviderName, sims: SimulatedProviders, clients: Any
) -> None:
    """OpenAI and Azure end a filtered completion with finish_reason content_filter."""
    sims.set_fault(provider, Fault(FaultKind.CONTENT_FILTER))
    seen = await stream(provider, clients)
    assert (seen.deltas, seen.finish) == ([], "content_filter")


async def test_azure_filtered_stream_says_which_category(
    http: aiohttp.ClientSession, sims: SimulatedProviders
) -> None:
    """Azure's content_filter chunk carries the filtered category."""
    sims.set_fault("azure_openai", Fault(FaultKind.CONTENT_FILTER))
    _, _, events = await raw_stream(http, sims, "azure_openai")
    last = json.loads(events[-2][1])["choices"][0]
    assert last["finish_reason"] == "content_filter"
    assert last["content_filter_results"]["self_harm"]["filtered"] is True


async def test_anthropic_filtered_stream_is_a_refusal(
    sims: SimulatedProviders, clients: Any
) -> None:
    """Anthropic streams a refusal: stop_reason refusal and no text."""
    sims.set_fault("anthropic", Fault(FaultKind.CONTENT_FILTER))
    seen = await stream("anthropic", clients)
    assert (seen.deltas, seen.finish) == ([], "refusal")


async def until(condition: Any, timeout_s: float = 5.0) -> None:
    """Wait for a condition another task or thread will make true (bounded)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
