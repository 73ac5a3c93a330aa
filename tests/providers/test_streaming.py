"""Every adapter streams, through its real SDK client, from a loopback server speaking the
provider's Server-Sent Events: the answer is assembled whole, a dead or stalled stream is a
timeout at its deadline, a broken or unfinished one is unavailable, and partial text never
leaves the adapter. Deadlines are short (tenths of a second) and only lower bounds are
asserted, so the tests hold on a loaded machine."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from shared.models import Outcome, ProviderRequest, ProviderResult
from shared.platform.settings import Settings
from shared.providers.anthropic_provider import AnthropicProvider
from shared.providers.azure_openai_provider import AzureOpenAIProvider
from shared.providers.openai_provider import OpenAIProvider
from shared.providers.sdk_adapter import SdkProvider

from . import sse
from .helpers import (
    ANTHROPIC_TIER,
    AZURE_TIER,
    FAKE_ANTHROPIC_KEY,
    FAKE_AZURE_KEY,
    FAKE_OPENAI_KEY,
    OPENAI_TIER,
    provider_request,
)

pytestmark = pytest.mark.integration

FIRST_TOKEN_S = 0.3
STALL_S = 0.3
TOTAL_S = 3.0
WORDS = ["Ovarian ", "cancer ", "symptoms ", "can ", "include ", "bloating."]
TEXT = "".join(WORDS)


@pytest.fixture
async def server() -> AsyncIterator[sse.StreamServer]:
    """The loopback SSE server, stopped after the test."""
    async for running in sse.serve():
        yield running


def settings_for(server: sse.StreamServer) -> Settings:
    return Settings.from_env(
        {
            "OPENAI_API_KEY": FAKE_OPENAI_KEY,
            "OPENAI_BASE_URL": f"{server.url}/v1",
            "AZURE_OPENAI_ENDPOINT": server.url,
            "AZURE_OPENAI_API_KEY": FAKE_AZURE_KEY,
            "ANTHROPIC_API_KEY": FAKE_ANTHROPIC_KEY,
            "ANTHROPIC_BASE_URL": server.url,
        }
    )


Build = Callable[[Settings], SdkProvider[Any]]
OPENAI: Build = lambda s: OpenAIProvider(OPENAI_TIER, s)  # noqa: E731
AZURE: Build = lambda s: AzureOpenAIProvider(AZURE_TIER, s)  # noqa: E731
ANTHROPIC: Build = lambda s: AnthropicProvider(ANTHROPIC_TIER, s)  # noqa: E731
OPENAI_KINDS = pytest.mark.parametrize("build", [OPENAI, AZURE], ids=["openai", "azure_openai"])
EVERY_KIND = pytest.mark.parametrize(
    "build", [OPENAI, AZURE, ANTHROPIC], ids=["openai", "azure_openai", "anthropic"]
)


def streamed(**times: float) -> ProviderRequest:
    """A request with the tight times the deadline tests measure against."""
    limits = {"first_token_s": FIRST_TOKEN_S, "stall_s": STALL_S, "timeout_s": TOTAL_S, **times}
    return replace(provider_request(), **limits)


def roomy() -> ProviderRequest:
    """A request whose times no healthy loopback stream can miss, for the tests that are not
    about deadlines (a cold client on a loaded machine can take longer than 0.3 s to start)."""
    return streamed(first_token_s=5.0, stall_s=5.0, timeout_s=10.0)


async def call(
    server: sse.StreamServer, build: Build, request: ProviderRequest | None = None
) -> tuple[ProviderResult, float]:
    """One call; the result and the seconds it took."""
    provider = build(settings_for(server))
    started = time.perf_counter()
    try:
        result = await provider.complete(request or roomy())
    finally:
        await provider.aclose()
    return result, time.perf_counter() - started


def is_openai(build: Build) -> bool:
    return build is not ANTHROPIC


def answer(build: Build, words: list[str]) -> list[sse.Step]:
    return sse.openai_answer(words) if is_openai(build) else sse.anthropic_answer(words)


def opening(build: Build) -> list[sse.Step]:
    """A stream's start, before any content."""
    return [sse.openai_chunk("", role=True)] if is_openai(build) else sse.anthropic_start()


def content(build: Build, text: str) -> bytes:
    return sse.openai_chunk(text) if is_openai(build) else sse.anthropic_text(text)


def assert_no_partial_text(result: ProviderResult) -> None:
    assert result.completion is None
    for word in WORDS:
        assert word.strip() not in result.detail


# --- assembly ---------------------------------------------------------------------------------


async def test_openai_stream_is_assembled_with_model_finish_and_usage(
    server: sse.StreamServer,
) -> None:
    """The chunks become one completion: text, finish_reason, model and the usage chunk."""
    server.script = sse.openai_answer(WORDS)
    result, _ = await call(server, OPENAI)
    assert result.outcome is Outcome.OK
    assert result.completion is not None
    assert result.completion.text == TEXT
    assert result.completion.finish_reason == "stop"
    assert result.completion.model == sse.MODEL
    assert (result.completion.usage.prompt_tokens, result.completion.usage.completion_tokens) == (
        21,
        len(WORDS),
    )


async def test_azure_prompt_filter_chunk_is_skipped(server: sse.StreamServer) -> None:
    """Azure's opening chunk of prompt-filter results (no choices, no model) is not content."""
    server.script = [sse.azure_prompt_filter_results(), *sse.openai_answer(WORDS)]
    result, _ = await call(server, AZURE)
    assert result.outcome is Outcome.OK
    assert result.completion is not None
    assert result.completion.text == TEXT
    assert result.completion.model == sse.MODEL
    assert result.completion.usage.completion_tokens == len(WORDS)


async def test_anthropic_stream_is_assembled_with_model_finish_and_usage(
    server: sse.StreamServer,
) -> None:
    """The events become one completion; end_turn is normalised to stop; pings are ignored."""
    server.script = sse.anthropic_answer(WORDS)
    result, _ = await call(server, ANTHROPIC)
    assert result.outcome is Outcome.OK
    assert result.completion is not None
    assert result.completion.text == TEXT
    assert result.completion.finish_reason == "stop"
    assert result.completion.model == sse.CLAUDE
    assert (result.completion.usage.prompt_tokens, result.completion.usage.completion_tokens) == (
        30,
        len(WORDS),
    )


@OPENAI_KINDS
async def test_openai_kinds_ask_for_a_stream_with_usage(
    server: sse.StreamServer, build: Build
) -> None:
    """stream: true with include_usage, whatever the bot asked for."""
    server.script = sse.openai_answer(WORDS)
    await call(server, build)
    body = server.requests[-1].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_anthropic_asks_for_a_stream(server: sse.StreamServer) -> None:
    """The Messages call is streamed."""
    server.script = sse.anthropic_answer(WORDS)
    await call(server, ANTHROPIC)
    assert server.requests[-1].body["stream"] is True


@EVERY_KIND
async def test_the_sdk_timeout_never_cuts_the_stream_short(
    server: sse.StreamServer, build: Build
) -> None:
    """The SDK's own read timeout (sent by the SDKs as a header) is at least the longer of the
    first-token and stall times, and the client makes no retries of its own."""
    server.script = answer(build, WORDS)
    request = streamed(first_token_s=0.4, stall_s=0.25, sdk_timeout_s=0.9)
    await call(server, build, request)
    headers = {k.lower(): v for k, v in server.requests[-1].headers.items()}
    assert float(headers["x-stainless-read-timeout"]) == pytest.approx(0.9)
    assert headers["x-stainless-retry-count"] == "0"


@EVERY_KIND
async def test_content_filter_at_the_finish_is_content_filtered(
    server: sse.StreamServer, build: Build
) -> None:
    """A stream that finishes with the content filter's verdict is content_filtered, and its
    text so far is dropped."""
    server.script = (
        sse.openai_answer(WORDS[:2], finish_reason="content_filter")
        if is_openai(build)
        else sse.anthropic_answer(WORDS[:2], stop_reason="refusal")
    )
    result, _ = await call(server, build)
    assert result.outcome is Outcome.CONTENT_FILTERED
    assert_no_partial_text(result)


# --- deadlines --------------------------------------------------------------------------------


@EVERY_KIND
async def test_no_first_token_in_time_is_a_timeout_at_the_first_token_time(
    server: sse.StreamServer, build: Build
) -> None:
    """Headers and an opening, then nothing: timeout at about first_token_s, not the total."""
    server.script = [*opening(build), sse.HOLD]
    result, took = await call(server, build, streamed())
    assert result.outcome is Outcome.TIMEOUT
    assert "first token" in result.detail
    assert took >= FIRST_TOKEN_S * 0.9
    assert took < TOTAL_S, "a dead provider costs its first-token time, not the total"


@EVERY_KIND
async def test_no_response_at_all_is_a_timeout_at_the_first_token_time(
    server: sse.StreamServer, build: Build
) -> None:
    """A server that never sends its headers is noticed at the first-token time as well."""
    server.script = [sse.HOLD]
    result, took = await call(server, build, streamed())
    assert result.outcome is Outcome.TIMEOUT
    assert "first token" in result.detail
    assert took >= FIRST_TOKEN_S * 0.9


@pytest.mark.safety("H07")
@EVERY_KIND
async def test_a_stall_midway_is_a_timeout_with_no_partial_text(
    server: sse.StreamServer, build: Build
) -> None:
    """Three words, then silence: timeout at about stall_s after the last word, text dropped."""
    server.script = [*opening(build), *(content(build, w) for w in WORDS[:3]), sse.HOLD]
    result, took = await call(server, build, streamed())
    assert result.outcome is Outcome.TIMEOUT
    assert "stall" in result.detail
    assert took >= STALL_S * 0.9
    assert_no_partial_text(result)


@pytest.mark.safety("H04")
@EVERY_KIND
async def test_a_slow_steady_stream_past_the_first_token_time_is_ok(
    server: sse.StreamServer, build: Build
) -> None:
    """Content every 0.1 s for about 1.2 s, four times the first-token time (the old
    whole-answer timeout): every piece comes within the stall time, so the answer is ok."""
    words = [f"w{i} " for i in range(12)]
    paced: list[sse.Step] = []
    for word in words:
        paced += [0.1, content(build, word)]
    tail = (
        [sse.openai_chunk(finish_reason="stop"), sse.openai_usage(5, 12), sse.DONE]
        if is_openai(build)
        else sse.anthropic_end()
    )
    server.script = [*opening(build), *paced, *tail]
    result, took = await call(server, build, streamed())
    assert result.outcome is Outcome.OK
    assert result.completion is not None
    assert result.completion.text == "".join(words)
    assert took >= FIRST_TOKEN_S * 3


@EVERY_KIND
async def test_a_stream_past_its_total_is_a_timeout(server: sse.StreamServer, build: Build) -> None:
    """Steady content that goes on past total_s is cut at the total, and nothing is kept."""
    paced: list[sse.Step] = []
    for word in WORDS * 10:
        paced += [0.05, content(build, word)]
    server.script = [*opening(build), *paced, sse.HOLD]
    result, took = await call(server, build, streamed(timeout_s=0.6))
    assert result.outcome is Outcome.TIMEOUT
    assert "total" in result.detail
    assert took >= 0.6 * 0.9
    assert_no_partial_text(result)


# --- broken streams ---------------------------------------------------------------------------


@pytest.mark.safety("H07")
@EVERY_KIND
async def test_a_dropped_connection_is_unavailable_with_no_partial_text(
    server: sse.StreamServer, build: Build
) -> None:
    """The connection closes in the middle of the body: unavailable, text dropped."""
    server.script = [*opening(build), *(content(build, w) for w in WORDS[:3]), sse.DROP]
    result, _ = await call(server, build)
    assert result.outcome is Outcome.UNAVAILABLE
    assert_no_partial_text(result)


@OPENAI_KINDS
async def test_an_openai_stream_without_a_finish_reason_is_unavailable(
    server: sse.StreamServer, build: Build
) -> None:
    """Content, then the body ends cleanly but with no finish_reason: cut off, unavailable."""
    server.script = [sse.openai_chunk("", role=True), *(sse.openai_chunk(w) for w in WORDS)]
    result, _ = await call(server, build)
    assert result.outcome is Outcome.UNAVAILABLE
    assert "finish_reason" in result.detail
    assert_no_partial_text(result)


async def test_an_anthropic_stream_without_message_stop_is_unavailable(
    server: sse.StreamServer,
) -> None:
    """Everything but the final message_stop: cut off, unavailable."""
    server.script = sse.anthropic_answer(WORDS)[:-1]
    result, _ = await call(server, ANTHROPIC)
    assert result.outcome is Outcome.UNAVAILABLE
    assert "message_stop" in result.detail
    assert_no_partial_text(result)


async def test_an_anthropic_error_event_midway_is_unavailable(server: sse.StreamServer) -> None:
    """An overloaded_error event inside the streamed 200 is the provider failing: unavailable."""
    error = sse.event("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
    server.script = [*sse.anthropic_start(), sse.anthropic_text(WORDS[0]), error]
    result, _ = await call(server, ANTHROPIC)
    assert result.outcome is Outcome.UNAVAILABLE
    assert "overloaded_error" in result.detail
    assert_no_partial_text(result)


async def test_an_openai_error_chunk_midway_is_unavailable(server: sse.StreamServer) -> None:
    """An error object in place of a chunk is the provider failing: unavailable."""
    error = sse.data({"error": {"message": "The server had an error", "type": "server_error"}})
    server.script = [sse.openai_chunk("", role=True), sse.openai_chunk(WORDS[0]), error]
    result, _ = await call(server, OPENAI)
    assert result.outcome is Outcome.UNAVAILABLE
    assert_no_partial_text(result)
