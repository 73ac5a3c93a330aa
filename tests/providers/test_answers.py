"""Successful responses are normalised; answers that are not answers are provider faults."""

from __future__ import annotations

from typing import Any

import pytest

from shared.models import Completion, Outcome, Usage
from shared.providers.answers import anthropic_result, openai_result


def chat(content: object = "Hello", finish_reason: str = "stop", **extra: Any) -> dict[str, Any]:
    return {
        "model": "gpt-x",
        "choices": [
            {"message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 5},
        **extra,
    }


def message(text: object = "Hello", stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "model": "claude-x",
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "usage": {"input_tokens": 9, "output_tokens": 4},
    }


def test_openai_answer_is_normalised() -> None:
    """Text, finish reason, model and usage come from the chat completion."""
    assert openai_result(chat(), "fallback").completion == Completion(
        "Hello", "stop", "gpt-x", Usage(11, 5)
    )


def test_openai_length_finish_is_kept() -> None:
    """A truncated answer is still an answer; its finish reason says so."""
    result = openai_result(chat(finish_reason="length"), "fallback")
    assert result.completion is not None
    assert result.completion.finish_reason == "length"


def test_openai_content_filter_finish_is_content_filtered() -> None:
    """finish_reason content_filter is CONTENT_FILTERED, whatever text came with it."""
    result = openai_result(chat(content="partial", finish_reason="content_filter"), "f")
    assert (result.outcome, result.completion) == (Outcome.CONTENT_FILTERED, None)


@pytest.mark.parametrize(
    "response",
    [
        {"model": "gpt-x"},
        {"choices": []},
        {"choices": None},
        chat(content=None),
        chat(content=""),
        chat(content="   "),
        chat(content=42),
    ],
    ids=["no-choices", "empty-choices", "null-choices", "null-text", "empty", "blank", "not-text"],
)
def test_openai_answer_without_text_is_unavailable(response: dict[str, Any]) -> None:
    """A 200 that carries no usable text is UNAVAILABLE."""
    assert openai_result(response, "fallback").outcome is Outcome.UNAVAILABLE


def test_missing_model_and_usage_fall_back() -> None:
    """Without model or usage in the response, the tier model and zero usage are reported."""
    result = openai_result({"choices": chat()["choices"]}, "tier-model")
    assert result.completion == Completion("Hello", "stop", "tier-model", Usage(0, 0))


def test_anthropic_answer_is_normalised() -> None:
    """end_turn becomes stop; usage uses input and output tokens."""
    assert anthropic_result(message(), "fallback").completion == Completion(
        "Hello", "stop", "claude-x", Usage(9, 4)
    )


def test_anthropic_max_tokens_becomes_length() -> None:
    """max_tokens becomes the common finish reason length."""
    result = anthropic_result(message(stop_reason="max_tokens"), "fallback")
    assert result.completion is not None
    assert result.completion.finish_reason == "length"


def test_anthropic_joins_text_blocks_only() -> None:
    """Text blocks are joined in order; other block types are ignored."""
    response = message()
    response["content"] = [
        {"type": "text", "text": "One. "},
        {"type": "thinking", "thinking": "hidden"},
        {"type": "text", "text": "Two."},
    ]
    result = anthropic_result(response, "fallback")
    assert result.completion is not None
    assert result.completion.text == "One. Two."


def test_anthropic_refusal_is_content_filtered() -> None:
    """stop_reason refusal is CONTENT_FILTERED."""
    result = anthropic_result(message(stop_reason="refusal"), "fallback")
    assert result.outcome is Outcome.CONTENT_FILTERED


@pytest.mark.parametrize(
    "response",
    [{"model": "claude-x"}, {"content": []}, message(text=""), message(text=None)],
    ids=["no-content", "empty-content", "empty-text", "null-text"],
)
def test_anthropic_answer_without_text_is_unavailable(response: dict[str, Any]) -> None:
    """A 200 that carries no usable text is UNAVAILABLE."""
    assert anthropic_result(response, "fallback").outcome is Outcome.UNAVAILABLE


def test_reads_sdk_objects_as_well_as_json() -> None:
    """Attribute-style objects (as the SDKs return) read the same as JSON."""

    class Obj:
        def __init__(self, **fields: Any) -> None:
            self.__dict__.update(fields)

    response = Obj(
        model="gpt-x",
        choices=[Obj(message=Obj(content="Hi"), finish_reason="stop")],
        usage=Obj(prompt_tokens=1, completion_tokens=2),
    )
    assert openai_result(response, "f").completion == Completion("Hi", "stop", "gpt-x", Usage(1, 2))
