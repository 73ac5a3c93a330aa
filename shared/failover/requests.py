"""Parse an OpenAI Chat Completions request body into a :class:`ChatRequest`.

Every problem becomes an :class:`ApiError` (400, or 413 for an oversized body) that names the
field, so the bot's SDK gets a clear error and never a 500. Unknown top-level fields are
ignored, as OpenAI-compatible servers commonly do; ``stream: true`` is refused because the
gateway answers whole completions only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.models import ROLES, ChatRequest, Message, Role
from shared.platform import ApiError, invalid

# The values ``metadata.nation``, ``metadata.age_band`` and ``metadata.language`` may take.
METADATA_CHOICES: Mapping[str, tuple[str, ...]] = {
    "nation": ("england", "wales", "scotland", "northern_ireland"),
    "age_band": ("under_18", "adult"),
    "language": ("en", "cy"),
}


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_body_bytes: int = 2 * 1024 * 1024
    max_messages: int = 100
    max_content_chars: int = 32_000
    max_tokens: int = 4096
    max_id_chars: int = 256


def _content(value: object, param: str, limits: RequestLimits) -> str:
    if isinstance(value, list):
        # The array form: only text parts are meaningful to this gateway.
        parts: list[str] = []
        for index, part in enumerate(value):
            if not isinstance(part, dict) or part.get("type") != "text":
                raise invalid("only text content parts are supported", f"{param}[{index}]")
            text = part.get("text")
            if not isinstance(text, str):
                raise invalid("a text part needs a string 'text'", f"{param}[{index}].text")
            parts.append(text)
        value = "\n".join(parts)
    if not isinstance(value, str):
        raise invalid("content must be a string", param, code="invalid_type")
    if not value.strip():
        raise invalid("content must not be empty", param)
    if len(value) > limits.max_content_chars:
        raise invalid(
            f"content is longer than {limits.max_content_chars} characters", param, "too_long"
        )
    return _sendable(value, param)


def _sendable(value: str, param: str) -> str:
    """Refuse text that cannot be encoded as UTF-8 (a lone surrogate such as ``\\ud800``).

    Such text would make every provider call fail, count against every breaker, and so let
    one malformed request open them all.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid("text must be valid Unicode (no unpaired surrogates)", param) from None
    return value


def _message(item: object, index: int, limits: RequestLimits) -> Message:
    param = f"messages[{index}]"
    if not isinstance(item, dict):
        raise invalid("each message must be an object", param, code="invalid_type")
    role = item.get("role")
    if role not in ROLES:
        raise invalid(f"role must be one of {', '.join(ROLES)}", f"{param}.role")
    valid_role: Role = role
    return Message(
        role=valid_role, content=_content(item.get("content"), f"{param}.content", limits)
    )


def _optional_text(body: Mapping[str, Any], key: str, limits: RequestLimits) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limits.max_id_chars:
        raise invalid(f"{key} must be a non-empty string of at most {limits.max_id_chars}", key)
    return _sendable(value, key)


def _number(body: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise invalid(f"{key} must be a number between {low:g} and {high:g}", key)
    return float(value)


def _choice(metadata: Mapping[str, Any] | None, key: str) -> str | None:
    """``metadata[key]`` if it is one of its allowed values; absent or null is None."""
    if metadata is None or metadata.get(key) is None:
        return None
    value = metadata[key]
    allowed = METADATA_CHOICES[key]
    if value not in allowed:
        raise invalid(f"metadata.{key} must be one of {', '.join(allowed)}", f"metadata.{key}")
    return str(value)


def parse_body(body: Mapping[str, Any], limits: RequestLimits = RequestLimits()) -> ChatRequest:
    """Validate a decoded JSON body."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages must be a non-empty array", "messages")
    if len(messages) > limits.max_messages:
        raise invalid(f"at most {limits.max_messages} messages are allowed", "messages", "too_many")
    parsed = tuple(_message(item, i, limits) for i, item in enumerate(messages))
    if not any(m.role == "user" for m in parsed):
        raise invalid("at least one user message is required", "messages")
    if body.get("stream") is not None and body.get("stream") is not False:
        raise invalid("streaming is not supported by this gateway", "stream", "unsupported")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or not 1 <= max_tokens <= limits.max_tokens
    ):
        raise invalid(f"max_tokens must be an integer from 1 to {limits.max_tokens}", "max_tokens")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise invalid("metadata must be an object", "metadata", code="invalid_type")
    conversation_id = (
        _optional_text(metadata, "conversation_id", limits) if metadata is not None else None
    )
    return ChatRequest(
        messages=parsed,
        model=_optional_text(body, "model", limits),
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 0.0, 2.0),
        user=_optional_text(body, "user", limits),
        conversation_id=conversation_id,
        nation=_choice(metadata, "nation"),
        age_band=_choice(metadata, "age_band"),
        language=_choice(metadata, "language"),
    )


def parse_request(
    raw: bytes, content_type: str | None, limits: RequestLimits = RequestLimits()
) -> ChatRequest:
    """Validate a raw HTTP body: size, content type, JSON, then shape."""
    if len(raw) > limits.max_body_bytes:
        raise ApiError(
            status=413,
            message=f"request body is larger than {limits.max_body_bytes} bytes",
            code="body_too_large",
        )
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise invalid("Content-Type must be application/json", None, "invalid_content_type")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, or a huge integer literal
        raise invalid("the request body is not valid JSON", None, "invalid_json") from None
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object", None, "invalid_json")
    return parse_body(body, limits)
