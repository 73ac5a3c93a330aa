"""Parsing the bot's Chat Completions request body."""

from __future__ import annotations

import json

import pytest

from shared.failover.requests import RequestLimits, parse_request
from shared.platform.errors import ApiError


def body(**fields: object) -> bytes:
    base: dict[str, object] = {"messages": [{"role": "user", "content": "Hello"}]}
    base.update(fields)
    return json.dumps(base).encode()


def error_of(raw: bytes, content_type: str | None = "application/json") -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_request(raw, content_type)
    return caught.value


def test_a_full_request_is_parsed() -> None:
    """Every supported field reaches the ChatRequest."""
    request = parse_request(
        body(
            model="gpt-4o-mini",
            max_tokens=200,
            temperature=0.2,
            user="u-1",
            metadata={"conversation_id": "c-9"},
            messages=[
                {"role": "system", "content": "Be brief"},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "What is a smear test?"},
            ],
        ),
        "application/json; charset=utf-8",
    )
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "user"]
    assert request.max_tokens == 200
    assert request.temperature == 0.2
    assert request.conversation_id == "c-9"
    assert request.conversation_key == "c-9"


def test_text_content_parts_are_joined() -> None:
    """The array form of content is accepted when every part is text."""
    raw = body(
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            }
        ]
    )
    assert parse_request(raw, "application/json").messages[0].content == "a\nb"


def test_unicode_survives_unchanged() -> None:
    """Emoji, right-to-left text and control characters are kept as sent."""
    text = "Hi 👋🏽 مرحبا \u202e tab\tend"
    request = parse_request(body(messages=[{"role": "user", "content": text}]), None)
    assert request.messages[0].content == text


@pytest.mark.parametrize(
    ("raw", "param", "code"),
    [
        (b"not json", None, "invalid_json"),
        (b"[1, 2]", None, "invalid_json"),
        (json.dumps({}).encode(), "messages", "invalid_value"),
        (json.dumps({"messages": []}).encode(), "messages", "invalid_value"),
        (
            json.dumps({"messages": [{"role": "tool", "content": "x"}]}).encode(),
            "messages[0].role",
            "invalid_value",
        ),
        (
            json.dumps({"messages": [{"role": "user", "content": 5}]}).encode(),
            "messages[0].content",
            "invalid_type",
        ),
        (
            json.dumps({"messages": [{"role": "user", "content": "  "}]}).encode(),
            "messages[0].content",
            "invalid_value",
        ),
        (
            json.dumps({"messages": [{"role": "assistant", "content": "x"}]}).encode(),
            "messages",
            "invalid_value",
        ),
        (body(max_tokens=0), "max_tokens", "invalid_value"),
        (body(max_tokens=True), "max_tokens", "invalid_value"),
        (body(temperature=3), "temperature", "invalid_value"),
        (body(stream=True), "stream", "unsupported"),
        (body(metadata="x"), "metadata", "invalid_type"),
        (body(metadata={"conversation_id": 7}), "conversation_id", "invalid_value"),
    ],
)
def test_bad_bodies_get_a_400_naming_the_field(raw: bytes, param: str | None, code: str) -> None:
    """Each malformed body is a 400 in the OpenAI error shape that names the field."""
    error = error_of(raw)
    assert error.status == 400
    assert error.param == param
    assert error.code == code
    assert set(error.to_body()["error"]) == {"type", "message", "param", "code"}


def test_wrong_content_type_is_refused() -> None:
    """A non-JSON content type is a 400."""
    assert error_of(body(), "text/plain").code == "invalid_content_type"


def test_oversized_body_is_a_413_before_parsing() -> None:
    """A body over the limit is refused with 413 without being decoded."""
    with pytest.raises(ApiError) as caught:
        parse_request(b"x" * 101, "application/json", RequestLimits(max_body_bytes=100))
    assert caught.value.status == 413


def test_too_many_messages_and_too_long_content_are_refused() -> None:
    """The message count and content length limits apply."""
    limits = RequestLimits(max_messages=2, max_content_chars=10)
    many = body(messages=[{"role": "user", "content": "a"}] * 3)
    with pytest.raises(ApiError, match="at most 2"):
        parse_request(many, None, limits)
    long = body(messages=[{"role": "user", "content": "a" * 11}])
    with pytest.raises(ApiError, match="longer than 10"):
        parse_request(long, None, limits)


@pytest.mark.parametrize(
    ("body_text", "param"),
    [
        ('{"messages": [{"role": "user", "content": "a\\ud800b"}]}', "messages[0].content"),
        ('{"messages": [{"role": "user", "content": "hi"}], "user": "\\udfff"}', "user"),
        (
            '{"messages": [{"role": "user", "content": "hi"}], '
            '"metadata": {"conversation_id": "\\ud800"}}',
            "conversation_id",
        ),
    ],
)
def test_unpaired_surrogates_are_a_400(body_text: str, param: str) -> None:
    """Text that cannot be sent on as UTF-8 is refused, naming the field, never a 500."""
    error = error_of(body_text.encode())
    assert error.status == 400
    assert error.param == param


def test_a_huge_integer_literal_is_a_400() -> None:
    """A number too long for Python's int parser is invalid JSON, not a 500."""
    raw = b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": ' + b"9" * 5000 + b"}"
    assert error_of(raw).code == "invalid_json"


def test_stream_zero_is_not_false() -> None:
    """Only a JSON false (or absence) turns streaming off; 0 is refused like true."""
    assert error_of(body(stream=0)).param == "stream"
