"""SDK exceptions translated into the gateway's small set of outcomes.

Both SDKs share one exception shape::

    APIError
     +-- APIConnectionError   -> UNAVAILABLE (refused, reset, DNS...)
     |    +-- APITimeoutError -> TIMEOUT
     +-- APIStatusError       -> by status: 429 RATE_LIMITED, 401/402/403 AUTH_ERROR,
                                 408 TIMEOUT, 5xx/529 UNAVAILABLE, other 4xx BAD_REQUEST
                                 (CONTENT_FILTERED when the body names the content filter);
                                 below 400 (an error event inside a streamed 200) UNAVAILABLE

An adapter names its SDK's classes in an :class:`SdkErrors`, so this module never imports an
SDK. Anything else (a body that is not JSON, a credential failure, a bug) becomes UNAVAILABLE
or AUTH_ERROR: an adapter never raises. ``detail`` carries status codes, exception class names
and provider error codes only, never message text, which could quote the conversation.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.models import Outcome, ProviderResult

_SAFE_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_CONTENT_FILTER_CODES = frozenset({"content_filter", "ResponsibleAIPolicyViolation"})


@dataclass(frozen=True, slots=True)
class SdkErrors:
    """One SDK's exception classes, as the mapping needs them."""

    timeout: type[Exception]
    connection: type[Exception]
    status: type[Exception]
    # Raised outside the HTTP exchange when credentials cannot be had (e.g. managed identity).
    credential: tuple[type[Exception], ...] = ()


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date).

    ``now`` is the wall clock (epoch seconds), needed for the HTTP-date form.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = _non_negative(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    seconds = _non_negative(raw)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        return None
    return max(0.0, when.timestamp() - now)


def _non_negative(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def outcome_for_status(status: int, *, content_filtered: bool = False) -> Outcome:
    """The outcome of an HTTP error status."""
    if status < 400:
        # The response had started (a streamed 200) when the provider sent an error event.
        return Outcome.UNAVAILABLE
    if status == 429:
        return Outcome.RATE_LIMITED
    if status in {401, 402, 403}:
        # 402 is an account (billing) problem: like a bad key, it persists until someone acts.
        return Outcome.AUTH_ERROR
    if status == 408:
        return Outcome.TIMEOUT
    if status >= 500:
        return Outcome.UNAVAILABLE
    return Outcome.CONTENT_FILTERED if content_filtered else Outcome.BAD_REQUEST


def error_code(body: object) -> str | None:
    """The provider's machine-readable error code or type, if it is a short identifier."""
    error = _error_object(body)
    for key in ("code", "type"):
        value = error.get(key)
        if isinstance(value, str) and _SAFE_CODE.fullmatch(value):
            return value
    return None


def is_content_filter(body: object) -> bool:
    """Whether an error body says that a content filter rejected the request."""
    error = _error_object(body)
    inner = error.get("innererror")
    codes = {error.get("code"), inner.get("code") if isinstance(inner, dict) else None}
    return bool(codes & _CONTENT_FILTER_CODES)


def _error_object(body: object) -> dict[str, Any]:
    # OpenAI's SDK keeps the inner ``error`` object as the body; Anthropic's keeps the envelope.
    if not isinstance(body, dict):
        return {}
    inner = body.get("error")
    return inner if isinstance(inner, dict) else body


def result_for_exception(exc: Exception, sdk: SdkErrors | None, *, now: float) -> ProviderResult:
    """Translate anything an SDK call raised. ``sdk`` is None when the SDK could not load."""
    name = type(exc).__name__
    if sdk is not None and isinstance(exc, sdk.timeout):
        return ProviderResult(Outcome.TIMEOUT, detail=name)
    if sdk is not None and isinstance(exc, sdk.connection):
        cause = exc.__cause__ or exc.__context__
        suffix = f": {type(cause).__name__}" if cause is not None else ""
        return ProviderResult(Outcome.UNAVAILABLE, detail=f"{name}{suffix}")
    if sdk is not None and isinstance(exc, sdk.status):
        return _status_result(exc, now)
    if sdk is not None and isinstance(exc, sdk.credential):
        return ProviderResult(Outcome.AUTH_ERROR, detail=f"credential: {name}")
    if isinstance(exc, ValueError):
        # The SDKs raise json.JSONDecodeError for a 2xx body that is not (complete) JSON.
        return ProviderResult(Outcome.UNAVAILABLE, detail=f"malformed response: {name}")
    return ProviderResult(Outcome.UNAVAILABLE, detail=f"unexpected: {name}")


def _status_result(exc: Exception, now: float) -> ProviderResult:
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        return ProviderResult(Outcome.UNAVAILABLE, detail=f"unexpected: {type(exc).__name__}")
    body = getattr(exc, "body", None)
    outcome = outcome_for_status(status, content_filtered=is_content_filter(body))
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    # A server that says when to come back (429, or 503 during maintenance) is worth hearing.
    retry_after = (
        parse_retry_after(headers, now)
        if outcome in {Outcome.RATE_LIMITED, Outcome.UNAVAILABLE} and isinstance(headers, Mapping)
        else None
    )
    code = error_code(body)
    detail = f"HTTP {status} {type(exc).__name__}" + (f" {code}" if code else "")
    return ProviderResult(outcome, status=status, retry_after_s=retry_after, detail=detail)
