"""Hypothesis against the request parser: whatever arrives, it answers a ChatRequest or a 4xx.

Arbitrary bytes, arbitrary JSON and near-miss Chat Completions bodies never raise anything but
:class:`ApiError`, every ApiError is a 400 or a 413 in the OpenAI error shape, and whatever the
parser accepts can be sent on: it obeys the limits and encodes as UTF-8 (which the providers'
SDKs and the pseudonymous HMAC both need).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.failover.requests import RequestLimits, parse_request
from shared.models import ROLES, ChatRequest
from shared.platform.errors import ApiError
from tests.hardening.tally import TALLY

LIMITS = RequestLimits()
SMALL = RequestLimits(max_body_bytes=64)
FUZZ = settings(max_examples=300, deadline=None, database=None, derandomize=True)

# Text, sometimes with unpaired surrogates: legal as JSON escapes, not encodable as UTF-8.
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=20).map(
        "".join
    ),
)
CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "text/plain",
            "multipart/form-data",
            "",
            " ; ",
            "APPLICATION/JSON",
        ]
    ),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(TEXT, children, max_size=5)
    ),
    max_leaves=30,
)
TEXT_PARTS = st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}), max_size=3)
# A near miss is mostly right: the first turn is a user's with text, the rest may be anything.
USER_TURN = st.fixed_dictionaries({"role": st.just("user"), "content": st.one_of(TEXT, TEXT_PARTS)})
ANY_TURN = st.one_of(
    st.fixed_dictionaries(
        {
            "role": st.one_of(st.sampled_from(ROLES), TEXT),
            "content": st.one_of(TEXT, TEXT_PARTS, st.lists(JSON_VALUES, max_size=2), JSON_VALUES),
        }
    ),
    JSON_VALUES,
)
MESSAGES = st.one_of(
    st.tuples(USER_TURN, st.lists(ANY_TURN, max_size=3)).map(lambda t: [t[0], *t[1]]),
    JSON_VALUES,
)
OPTIONAL = {
    "model": st.one_of(TEXT, JSON_VALUES),
    "max_tokens": st.one_of(st.integers(), JSON_VALUES),
    "temperature": st.one_of(st.floats(), st.integers(), JSON_VALUES),
    "user": st.one_of(TEXT, JSON_VALUES),
    "metadata": st.one_of(
        st.fixed_dictionaries({}, optional={"conversation_id": st.one_of(TEXT, JSON_VALUES)}),
        JSON_VALUES,
    ),
    "stream": st.one_of(st.booleans(), JSON_VALUES),
}
CHAT_BODIES = st.fixed_dictionaries({"messages": MESSAGES}, optional=OPTIONAL)


def outcome(raw: bytes, content_type: str | None, limits: RequestLimits = LIMITS) -> Any:
    """Parse, and check that any refusal is a well-formed 400 or 413."""
    TALLY.parser_inputs += 1
    try:
        return parse_request(raw, content_type, limits)
    except ApiError as error:
        refused = error
    assert refused.status in (400, 413)
    body = refused.to_body()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"type", "message", "param", "code"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert body["error"]["param"] is None or isinstance(body["error"]["param"], str)
    json.dumps(body)  # the reply must serialise
    return refused


def assert_sendable(request: ChatRequest) -> None:
    """An accepted request obeys the limits and every string in it encodes as UTF-8."""
    assert 1 <= len(request.messages) <= LIMITS.max_messages
    assert any(m.role == "user" for m in request.messages)
    for message in request.messages:
        assert message.role in ROLES
        assert message.content.strip()
        assert len(message.content) <= LIMITS.max_content_chars
    json.dumps(request.to_json(), ensure_ascii=False).encode("utf-8")


@FUZZ
@given(raw=st.binary(max_size=300), content_type=CONTENT_TYPES)
@example(raw=b"[" * 100_000, content_type="application/json")
@example(raw=b'{"messages": ' + b"9" * 5000 + b"}", content_type=None)
@example(raw=b"\xff\xfe{}", content_type=None)
def test_arbitrary_bytes_are_parsed_or_refused_cleanly(
    raw: bytes, content_type: str | None
) -> None:
    """Any bytes with any content type give a ChatRequest or a 400/413 ApiError."""
    outcome(raw, content_type)


@pytest.mark.safety("H16")
@FUZZ
@given(value=JSON_VALUES)
def test_arbitrary_json_is_parsed_or_refused_cleanly(value: object) -> None:
    """Any JSON document gives a ChatRequest or a 400 ApiError."""
    result = outcome(json.dumps(value).encode(), "application/json")
    if isinstance(result, ApiError):
        assert result.status == 400


@settings(FUZZ, max_examples=800)
@given(body=CHAT_BODIES)
@example(body={"messages": [{"role": "user", "content": "hi \ud800"}]})
@example(body={"messages": [{"role": "user", "content": "hi"}], "user": "\udc00"})
def test_near_miss_chat_bodies_are_parsed_or_refused_cleanly(body: dict[str, Any]) -> None:
    """Chat bodies with wrong types, roles and limits give a sendable request or a 400."""
    result = outcome(json.dumps(body).encode(), "application/json")
    if isinstance(result, ApiError):
        assert result.status == 400
    else:
        assert_sendable(result)


@FUZZ
@given(raw=st.binary(min_size=SMALL.max_body_bytes + 1, max_size=4 * SMALL.max_body_bytes))
def test_oversized_bodies_are_413_whatever_they_hold(raw: bytes) -> None:
    """Any body over the limit is a 413, before its content type or content is looked at."""
    result = outcome(raw, "text/plain", SMALL)
    assert isinstance(result, ApiError)
    assert (result.status, result.code) == (413, "body_too_large")
