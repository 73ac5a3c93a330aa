"""Streamed answers are assembled and normalised; streams that are not answers are faults.

The assemblers are fed events as plain JSON here; the SDKs' own event objects are fed to them
in tests/providers/test_streaming.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.models import Completion, Outcome, ProviderResult, Usage
from shared.providers.answers import AnthropicStreamAnswer, OpenAIStreamAnswer


def chunk(content: object = None, finish_reason: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {
        "model": "gpt-x",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


USAGE = {"model": "gpt-x", "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 5}}


def chat(*parts: object, finish_reason: str = "stop") -> list[dict[str, Any]]:
    return [*(chunk(p) for p in parts), chunk(finish_reason=finish_reason), USAGE]


def openai(events: list[Any], fallback: str = "fallback") -> ProviderResult:
    answer = OpenAIStreamAnswer(fallback)
    for event in events:
        answer.add(event)
    return answer.result()


def message(*texts: object, stop_reason: str = "end_turn") -> list[dict[str, Any]]:
    return [
        {"type": "message_start", "message": {"model": "claude-x", "usage": {"input_tokens": 9}}},
        *(
            {"type": "content_block_delta", "delta": {"type": "text_delta", "text": t}}
            for t in texts
        ),
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason},
            "usage": {"output_tokens": 4},
        },
        {"type": "message_stop"},
    ]


def anthropic(events: list[Any]) -> ProviderResult:
    answer = AnthropicStreamAnswer("fallback")
    for event in events:
        answer.add(event)
    return answer.result()


def test_openai_answer_is_normalised() -> None:
    """Text, finish reason, model and usage come from the chunks."""
    assert openai(chat("Hel", "lo")).completion == Completion(
        "Hello", "stop", "gpt-x", Usage(11, 5)
    )


def test_only_content_moves_the_stream_on() -> None:
    """A chunk with text is content; role-only, finish, usage and filter chunks are not."""
    answer = OpenAIStreamAnswer("f")
    assert answer.add(chunk("Hi")) is True
    assert answer.add(chunk("")) is False
    assert answer.add(chunk(finish_reason="stop")) is False
    assert answer.add(USAGE) is False
    assert answer.add({"choices": [], "prompt_filter_results": []}) is False


def test_openai_length_finish_is_kept() -> None:
    """A truncated answer is still an answer; its finish reason says so."""
    result = openai(chat("Hello", finish_reason="length"))
    assert result.completion is not None
    assert result.completion.finish_reason == "length"


def test_openai_content_filter_finish_is_content_filtered() -> None:
    """finish_reason content_filter is CONTENT_FILTERED, whatever text came before it."""
    result = openai(chat("partial", finish_reason="content_filter"))
    assert (result.outcome, result.completion) == (Outcome.CONTENT_FILTERED, None)


def test_openai_stream_without_finish_reason_is_unavailable() -> None:
    """Text but no finish_reason: the stream was cut off."""
    result = openai([chunk("Hello"), USAGE])
    assert (result.outcome, result.completion) == (Outcome.UNAVAILABLE, None)
    assert "Hello" not in result.detail


@pytest.mark.parametrize(
    "events",
    [chat(), chat(""), chat("   "), chat(42), [{"choices": None}, chunk(finish_reason="stop")]],
    ids=["no-text", "empty", "blank", "not-text", "null-choices"],
)
def test_openai_answer_without_text_is_unavailable(events: list[Any]) -> None:
    """A finished stream that carried no usable text is UNAVAILABLE."""
    assert openai(events).outcome is Outcome.UNAVAILABLE


def test_missing_model_and_usage_fall_back() -> None:
    """Without model or usage in the chunks, the tier model and zero usage are reported."""
    events = [{"choices": [{"delta": {"content": "Hello"}, "finish_reason": "stop"}]}]
    assert openai(events, "tier-model").completion == Completion(
        "Hello", "stop", "tier-model", Usage(0, 0)
    )


def test_anthropic_answer_is_normalised() -> None:
    """end_turn becomes stop; usage uses input and output tokens."""
    assert anthropic(message("Hel", "lo")).completion == Completion(
        "Hello", "stop", "claude-x", Usage(9, 4)
    )


def test_anthropic_max_tokens_becomes_length() -> None:
    """max_tokens becomes the common finish reason length."""
    result = anthropic(message("Hello", stop_reason="max_tokens"))
    assert result.completion is not None
    assert result.completion.finish_reason == "length"


def test_anthropic_joins_text_deltas_only() -> None:
    """Text deltas are joined in order; other delta types are ignored and are not content."""
    answer = AnthropicStreamAnswer("f")
    events = message("One. ", "Two.")
    thinking = {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "x"}}
    assert answer.add(thinking) is False
    for event in events:
        answer.add(event)
    completion = answer.result().completion
    assert completion is not None
    assert completion.text == "One. Two."


def test_anthropic_refusal_is_content_filtered() -> None:
    """stop_reason refusal is CONTENT_FILTERED."""
    assert anthropic(message("partial", stop_reason="refusal")).outcome is Outcome.CONTENT_FILTERED


def test_anthropic_stream_without_message_stop_is_unavailable() -> None:
    """Everything but message_stop: the stream was cut off."""
    result = anthropic(message("Hello")[:-1])
    assert (result.outcome, result.completion) == (Outcome.UNAVAILABLE, None)


@pytest.mark.parametrize(
    "events",
    [message(), message(""), message(None)],
    ids=["no-text", "empty-text", "null-text"],
)
def test_anthropic_answer_without_text_is_unavailable(events: list[Any]) -> None:
    """A finished stream that carried no usable text is UNAVAILABLE."""
    assert anthropic(events).outcome is Outcome.UNAVAILABLE


def test_reads_sdk_objects_as_well_as_json() -> None:
    """Attribute-style objects (as the SDKs yield) read the same as JSON."""

    class Obj:
        def __init__(self, **fields: Any) -> None:
            self.__dict__.update(fields)

    events = [
        Obj(model="gpt-x", usage=None, choices=[Obj(delta=Obj(content="Hi"), finish_reason=None)]),
        Obj(
            model="gpt-x", usage=None, choices=[Obj(delta=Obj(content=None), finish_reason="stop")]
        ),
        Obj(model="gpt-x", choices=[], usage=Obj(prompt_tokens=1, completion_tokens=2)),
    ]
    assert openai(events, "f").completion == Completion("Hi", "stop", "gpt-x", Usage(1, 2))
