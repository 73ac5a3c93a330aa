"""Bad input through the dev host: a clear 4xx in the error shape, never a 500, no provider call.

The parser's own unit tests (tests/unit/test_requests.py) cover each rule; these prove the same
rules hold end to end, through the host, the HTTP trigger and the gateway.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from shared.failover.requests import RequestLimits
from tests.hardening.client import send
from tests.integration.conftest import ADMIN_KEY, Gateway

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}
LIMITS = RequestLimits()


def chat_body(content: object = "What is a smear test?", **fields: Any) -> bytes:
    return json.dumps({"messages": [{"role": "user", "content": content}], **fields}).encode()


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "param", "code"}
    return error


def no_provider_called(gateway: Gateway) -> bool:
    return all(gateway.sims.count(p) == 0 for p in ("openai", "azure_openai", "anthropic"))


def test_body_over_the_limit_is_413_before_parsing(gateway: Gateway) -> None:
    """A body one byte over 2 MB is refused as too large, not as the invalid JSON it is."""
    response = send(gateway, "POST", "/api/chat", body=b"x" * (LIMITS.max_body_bytes + 1))
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"
    assert no_provider_called(gateway)


def test_body_at_the_limit_is_parsed(gateway: Gateway) -> None:
    """A valid body of exactly 2 MB (padded with whitespace) is answered normally."""
    body = chat_body()
    padded = body + b" " * (LIMITS.max_body_bytes - len(body))
    response = send(gateway, "POST", "/api/chat", body=padded, headers=JSON)
    assert response.status_code == 200, response.text


TOO_MANY = json.dumps(
    {"messages": [{"role": "user", "content": "hi"}] * (LIMITS.max_messages + 1)}
).encode()
BAD_BODIES = {
    "not JSON": (b"{not json", JSON, None, "invalid_json"),
    "JSON but not an object": (b'["hi"]', JSON, None, "invalid_json"),
    "wrong content type": (
        chat_body(),
        {"content-type": "text/plain"},
        None,
        "invalid_content_type",
    ),
    "form content type": (
        b"messages=hi",
        {"content-type": "application/x-www-form-urlencoded"},
        None,
        "invalid_content_type",
    ),
    "missing messages": (b'{"model": "gpt-4o-mini"}', JSON, "messages", "invalid_value"),
    "messages not an array": (b'{"messages": "hi"}', JSON, "messages", "invalid_value"),
    "empty messages": (b'{"messages": []}', JSON, "messages", "invalid_value"),
    "message not an object": (b'{"messages": ["hi"]}', JSON, "messages[0]", "invalid_type"),
    "unknown role": (
        b'{"messages": [{"role": "tool", "content": "hi"}]}',
        JSON,
        "messages[0].role",
        "invalid_value",
    ),
    "missing role": (
        b'{"messages": [{"content": "hi"}]}',
        JSON,
        "messages[0].role",
        "invalid_value",
    ),
    "non-string content": (chat_body(42), JSON, "messages[0].content", "invalid_type"),
    "null content": (chat_body(None), JSON, "messages[0].content", "invalid_type"),
    "empty content": (chat_body(""), JSON, "messages[0].content", "invalid_value"),
    "blank content": (chat_body(" \n\t "), JSON, "messages[0].content", "invalid_value"),
    "too many messages": (TOO_MANY, JSON, "messages", "too_many"),
    "too-long content": (
        chat_body("a" * (LIMITS.max_content_chars + 1)),
        JSON,
        "messages[0].content",
        "too_long",
    ),
}


@pytest.mark.safety("H16")
@pytest.mark.parametrize(
    ("body", "headers", "param", "code"), BAD_BODIES.values(), ids=BAD_BODIES.keys()
)
def test_bad_body_is_400_naming_the_field(
    gateway: Gateway, body: bytes, headers: dict[str, str], param: str | None, code: str
) -> None:
    """Each kind of malformed body is a 400 in the OpenAI error shape naming the field."""
    response = send(gateway, "POST", "/api/v1/chat/completions", body=body, headers=headers)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["param"], error["code"]) == (param, code)
    assert no_provider_called(gateway)


def test_integer_too_long_to_convert_is_400_not_500(gateway: Gateway) -> None:
    """A number literal past Python's int-conversion limit is invalid JSON, not a crash."""
    body = b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": ' + b"9" * 5000 + b"}"
    response = send(gateway, "POST", "/api/chat", body=body, headers=JSON)
    assert response.status_code == 400, response.status_code
    assert error_of(response)["code"] == "invalid_json"


def test_deeply_nested_json_is_400_not_500(gateway: Gateway) -> None:
    """Nesting deep enough to exhaust the decoder's recursion is a 400."""
    response = send(
        gateway, "POST", "/api/chat", body=b"[" * 200_000 + b"]" * 200_000, headers=JSON
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (chat_body("lone \ud800 surrogate"), "messages[0].content"),
        (chat_body(metadata={"conversation_id": "conversation-\udc00"}), "conversation_id"),
        (chat_body(user="user-\udfff"), "user"),
    ],
    ids=["content", "conversation_id", "user"],
)
def test_unpaired_surrogate_is_400_naming_the_field(
    gateway: Gateway, body: bytes, param: str
) -> None:
    """A JSON escape of half a surrogate pair cannot be sent on as UTF-8: 400, no provider."""
    response = send(gateway, "POST", "/api/chat", body=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert error_of(response)["param"] == param
    assert no_provider_called(gateway)


@pytest.mark.parametrize(
    ("method", "path", "key", "allow"),
    [
        ("GET", "/api/chat", None, "POST"),
        ("PUT", "/api/v1/chat/completions", None, "POST"),
        ("DELETE", "/api/breakers", ADMIN_KEY, "GET"),
        ("GET", "/api/breakers/openai/open", ADMIN_KEY, "POST"),
        ("POST", "/api/health/live", None, "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(
    gateway: Gateway, method: str, path: str, key: str | None, allow: str
) -> None:
    """A known route with the wrong method is a 405 naming the allowed method, in the shape."""
    response = send(gateway, method, path, key=key)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert error_of(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path",
    [
        "/api/nope",
        "/api/chat/extra",
        "/api/v2/chat/completions",
        "/api/breakers/openai/explode",
        "/not-under-the-prefix",
        "/api/nope%0Aline",
    ],
)
def test_unknown_route_is_404_in_the_error_shape(gateway: Gateway, path: str) -> None:
    """A path no function serves is a JSON 404, whatever characters it holds."""
    response = send(gateway, "POST", path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


UNICODE = {
    "emoji": "Is this normal? 😟👩🏽‍⚕️🏳️‍🌈 🇬🇧 — thanks 🙏🏿",
    "right-to-left": "مرحبا، هل هذا طبيعي؟ שלום \u200f\u202bembedded\u202c \u202eoverride\u202c",
    "control characters": "tab\tnewline\ncr\rnul\x00bell\x07esc\x1bdel\x7fc1\x85\x9f",
    "separators and marks": "line\u2028para\u2029bom\ufeffzwj\u200dzwsp\u200bwj\u2060",
    "combining and unnormalised": "cafe\u0301 vs caf\u00e9, Z\u0351\u0334a\u0362\u0335l\u0353go",
    "other planes": "\U0001d518\U0001d52b\U0001d526 𠜎𠜱 \U0010fffd 한국어 中文 हिन्दी",
}


@pytest.mark.parametrize("text", UNICODE.values(), ids=UNICODE.keys())
def test_unicode_reaches_the_provider_unchanged(gateway: Gateway, text: str) -> None:
    """Emoji, right-to-left text and control characters are answered and forwarded as sent."""
    response = send(gateway, "POST", "/api/chat", body=chat_body(text), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["failover"]["provider"] == "openai"
    sent = gateway.sims.last_request("openai")
    assert sent is not None
    assert sent["messages"][-1] == {"role": "user", "content": text}


def test_unicode_ids_are_accepted(gateway: Gateway) -> None:
    """Non-ASCII user and conversation ids do not break pseudonymisation or logging."""
    body = chat_body(user="utilisatrice-é😊", metadata={"conversation_id": "محادثة-٤٢"})
    response = send(gateway, "POST", "/api/chat", body=body, headers=JSON)
    assert response.status_code == 200, response.text
