"""SDK exceptions and error statuses map onto the gateway's outcomes."""

from __future__ import annotations

import email.utils
import json

import anthropic
import httpx2
import openai
import pytest

from shared.models import Outcome
from shared.providers.anthropic_provider import anthropic_errors
from shared.providers.openai_provider import openai_errors
from shared.providers.sdk_errors import (
    SdkErrors,
    error_code,
    is_content_filter,
    outcome_for_status,
    parse_retry_after,
    result_for_exception,
)

NOW = 1_900_000_000.0
REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")


def openai_status_error(
    error_class: type[openai.APIStatusError], status: int, error: dict[str, object], **headers: str
) -> Exception:
    """An OpenAI SDK status error as the SDK builds it (it keeps the inner ``error`` object)."""
    response = httpx2.Response(status, headers=headers, json={"error": error}, request=REQUEST)
    return error_class("Error code", response=response, body=error)


def anthropic_status_error(
    error_class: type[anthropic.APIStatusError], status: int, error_type: str
) -> Exception:
    """An Anthropic SDK status error as the SDK builds it (it keeps the whole envelope)."""
    body = {"type": "error", "error": {"type": error_type, "message": "private words"}}
    response = httpx2.Response(status, json=body, request=REQUEST)
    return error_class("Error code", response=response, body=body)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (429, Outcome.RATE_LIMITED),
        (401, Outcome.AUTH_ERROR),
        (402, Outcome.AUTH_ERROR),
        (403, Outcome.AUTH_ERROR),
        (408, Outcome.TIMEOUT),
        (500, Outcome.UNAVAILABLE),
        (502, Outcome.UNAVAILABLE),
        (503, Outcome.UNAVAILABLE),
        (529, Outcome.UNAVAILABLE),
        (400, Outcome.BAD_REQUEST),
        (404, Outcome.BAD_REQUEST),
        (422, Outcome.BAD_REQUEST),
        (413, Outcome.BAD_REQUEST),
    ],
)
def test_status_outcome(status: int, outcome: Outcome) -> None:
    """Each error status has its outcome."""
    assert outcome_for_status(status) is outcome


def test_content_filter_turns_a_4xx_into_content_filtered() -> None:
    """A 400 that names the content filter is CONTENT_FILTERED, not BAD_REQUEST."""
    assert outcome_for_status(400, content_filtered=True) is Outcome.CONTENT_FILTERED


def test_content_filter_does_not_hide_a_server_error() -> None:
    """A 5xx stays UNAVAILABLE whatever its body says."""
    assert outcome_for_status(500, content_filtered=True) is Outcome.UNAVAILABLE


@pytest.mark.parametrize(
    "body",
    [
        {"code": "content_filter", "message": "x"},
        {"error": {"code": "content_filter"}},
        {"code": "BadRequest", "innererror": {"code": "ResponsibleAIPolicyViolation"}},
    ],
    ids=["inner", "envelope", "innererror"],
)
def test_recognises_content_filter_bodies(body: dict[str, object]) -> None:
    """Azure's content-filter error is recognised in every shape the SDKs keep."""
    assert is_content_filter(body)


@pytest.mark.parametrize("body", [{"code": "invalid_api_key"}, "not json", None, {"error": 3}])
def test_other_bodies_are_not_content_filter(body: object) -> None:
    """Ordinary errors and odd bodies are not mistaken for the content filter."""
    assert not is_content_filter(body)


def test_error_code_ignores_free_text() -> None:
    """Only a short identifier is taken as a code, never a sentence."""
    assert error_code({"code": "a sentence with spaces", "type": "server_error"}) == "server_error"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": email.utils.formatdate(NOW + 42, usegmt=True)}, 42.0),
        ({"retry-after": email.utils.formatdate(NOW - 42, usegmt=True)}, 0.0),
    ],
    ids=["seconds", "fraction", "ms", "ms-first", "http-date", "past-date"],
)
def test_parse_retry_after(headers: dict[str, str], seconds: float) -> None:
    """Retry-After is read from milliseconds, seconds or an HTTP date."""
    assert parse_retry_after(headers, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "headers",
    [{}, {"retry-after": "soon"}, {"retry-after": "-3"}, {"retry-after": "nan"}],
    ids=["absent", "garbage", "negative", "nan"],
)
def test_unusable_retry_after_is_none(headers: dict[str, str]) -> None:
    """A missing or unusable Retry-After gives None rather than a guess."""
    assert parse_retry_after(headers, NOW) is None


def test_openai_timeout_is_timeout() -> None:
    """The SDK's timeout error is TIMEOUT, not merely a connection error."""
    result = result_for_exception(openai.APITimeoutError(REQUEST), openai_errors(), now=NOW)
    assert (result.outcome, result.detail) == (Outcome.TIMEOUT, "APITimeoutError")


def test_connection_error_names_its_cause() -> None:
    """A connection error is UNAVAILABLE and its detail names the underlying class."""
    exc = anthropic.APIConnectionError(request=REQUEST)
    exc.__cause__ = httpx2.ConnectError("refused")
    result = result_for_exception(exc, anthropic_errors(), now=NOW)
    assert (result.outcome, result.detail) == (
        Outcome.UNAVAILABLE,
        "APIConnectionError: ConnectError",
    )


def test_rate_limit_error_carries_status_and_retry_after() -> None:
    """An OpenAI 429 is RATE_LIMITED with its status and Retry-After."""
    exc = openai_status_error(
        openai.RateLimitError, 429, {"code": "rate_limit_exceeded"}, **{"retry-after": "3"}
    )
    result = result_for_exception(exc, openai_errors(), now=NOW)
    assert (result.outcome, result.status, result.retry_after_s) == (
        Outcome.RATE_LIMITED,
        429,
        3.0,
    )


def test_azure_content_filter_error_is_content_filtered() -> None:
    """Azure's 400 content_filter error is CONTENT_FILTERED."""
    exc = openai_status_error(openai.BadRequestError, 400, {"code": "content_filter"})
    assert result_for_exception(exc, openai_errors(), now=NOW).outcome is Outcome.CONTENT_FILTERED


def test_anthropic_overloaded_is_unavailable_with_its_type() -> None:
    """Anthropic's 529 overloaded_error is UNAVAILABLE; the detail keeps the type, not the text."""
    result = result_for_exception(
        anthropic_status_error(anthropic.OverloadedError, 529, "overloaded_error"),
        anthropic_errors(),
        now=NOW,
    )
    assert (result.outcome, result.detail) == (
        Outcome.UNAVAILABLE,
        "HTTP 529 OverloadedError overloaded_error",
    )


def test_malformed_json_is_unavailable() -> None:
    """A body that is not JSON (the SDK raises a ValueError) is UNAVAILABLE."""
    try:
        json.loads("{cut")
    except ValueError as exc:
        result = result_for_exception(exc, openai_errors(), now=NOW)
    assert (result.outcome, result.detail) == (
        Outcome.UNAVAILABLE,
        "malformed response: JSONDecodeError",
    )


class TokenUnavailableError(Exception):
    """A credential failure raised outside the HTTP exchange."""


def test_credential_failure_is_auth_error() -> None:
    """An exception the adapter names as a credential failure is AUTH_ERROR."""
    errors = SdkErrors(
        timeout=TimeoutError,
        connection=ConnectionError,
        status=LookupError,
        credential=(TokenUnavailableError,),
    )
    result = result_for_exception(TokenUnavailableError("private"), errors, now=NOW)
    assert (result.outcome, result.detail) == (
        Outcome.AUTH_ERROR,
        "credential: TokenUnavailableError",
    )


def test_unexpected_exception_is_unavailable_by_class_name() -> None:
    """Anything else is UNAVAILABLE, reported by class name only."""
    result = result_for_exception(RuntimeError("private words"), None, now=NOW)
    assert (result.outcome, result.detail) == (Outcome.UNAVAILABLE, "unexpected: RuntimeError")
