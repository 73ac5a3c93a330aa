"""Faults that a simulated provider can be told to produce, as frozen values.

A :class:`Fault` is set per provider, through the Python API or the control API (as JSON). With
``count`` it applies to the next ``count`` requests only; without, until it is cleared.

The kinds that answer (``ok``, ``stall``, ``drop``, ``no_final``) may also set the pacing of
the answer (``first_token_ms``, ``tokens_per_s``, ``answer_tokens``; see
:mod:`simulators.pacing`); a number left at 0 / None takes the simulator's default pacing. A
slow first token is kind ``ok`` with a large ``first_token_ms``.

A request asks for a stream with ``"stream": true`` in its JSON body. The three stream faults
act on streams; a non-streamed request meets their nearest equivalent:

============  ====================================  =====================================
kind          streamed request                      non-streamed request
============  ====================================  =====================================
``stall``     ``stall_after_tokens`` tokens, then   like ``hang``
              nothing, connection held open until
              the fault is changed (the rest of
              the answer follows) or the simulator
              stops
``drop``      ``drop_after_tokens`` tokens, then    half the JSON body (of a declared
              the connection is closed without the  length), then the connection is
              stream's final events                 closed
``no_final``  the whole answer, then a clean end    like ``truncated``: a 200 whose JSON
              without the final event (OpenAI: no   body is cut short
              ``finish_reason`` chunk, no
              ``[DONE]``; Anthropic: no
              ``message_stop``)
============  ====================================  =====================================

The other kinds answer a streamed request as they answer any (an error status, a broken or
shapeless body), except ``content_filter``, which streams the provider's filtered ending: a
chunk with ``finish_reason`` ``content_filter`` (OpenAI; on Azure OpenAI with the completion's
``content_filter_results``, as Azure reports a filtered completion) or ``stop_reason``
``refusal`` (Anthropic).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, get_args

from simulators.pacing import PACING_FIELDS, check_pacing, pacing_fields

ProviderName = Literal["openai", "azure_openai", "anthropic"]
PROVIDERS: tuple[ProviderName, ...] = get_args(ProviderName)


class FaultKind(StrEnum):
    """What the provider does with a request while the fault is active."""

    OK = "ok"  # answer normally (optionally late, with another text or a Retry-After header)
    HANG = "hang"  # never answer until the fault is cleared or the simulator stops
    STATUS = "status"  # an HTTP error with the provider's real error body
    REFUSE = "refuse"  # the listener is closed, so connections are refused
    MALFORMED = "malformed"  # a 200 whose body is not JSON
    TRUNCATED = "truncated"  # a 200 whose JSON body is cut short
    WRONG_SHAPE = "wrong_shape"  # a 200 with valid JSON but no choices / content
    CONTENT_FILTER = "content_filter"  # the provider's own content-filter result
    STALL = "stall"  # a stream stops after stall_after_tokens tokens, connection held open
    DROP = "drop"  # a stream's connection is closed after drop_after_tokens tokens
    NO_FINAL = "no_final"  # a stream sends the whole answer but ends without its final event


# Kinds that send (some of) an answer, so its text and pacing apply.
ANSWERING = frozenset({FaultKind.OK, FaultKind.STALL, FaultKind.DROP, FaultKind.NO_FINAL})


_SCALARS = ("latency_ms", "status", "retry_after", "retry_after_ms", "answer", "count")
_TOKEN_COUNTS = ("stall_after_tokens", "drop_after_tokens")
_FIELDS = frozenset({"kind", *_SCALARS, *PACING_FIELDS, *_TOKEN_COUNTS})


def parse_provider(value: object) -> ProviderName:
    """Validate a provider name from an untyped source."""
    for name in PROVIDERS:
        if value == name:
            return name
    raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}")


@dataclass(frozen=True, slots=True)
class Fault:
    """One provider's injected behaviour.

    ``retry_after`` is the raw ``Retry-After`` header value (seconds or an HTTP date) and
    ``retry_after_ms`` the ``retry-after-ms`` header; both are added to whatever is answered.
    ``latency_ms`` delays everything, headers included; ``first_token_ms`` comes after the
    headers (see :mod:`simulators.pacing`).
    """

    kind: FaultKind = FaultKind.OK
    latency_ms: int = 0
    status: int | None = None
    retry_after: str | None = None
    retry_after_ms: int | None = None
    answer: str | None = None
    count: int | None = None
    first_token_ms: int = 0
    tokens_per_s: float = 0
    answer_tokens: int | None = None
    stall_after_tokens: int | None = None
    drop_after_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if (self.kind is FaultKind.STATUS) != (self.status is not None):
            raise ValueError("status is required with kind 'status' and only allowed with it")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        answering = self.kind in ANSWERING
        if self.answer is not None and not answering:
            raise ValueError("answer is only allowed with kinds ok, stall, drop and no_final")
        check_pacing(self.first_token_ms, self.tokens_per_s, self.answer_tokens)
        paced = self.first_token_ms or self.tokens_per_s or self.answer_tokens is not None
        if paced and not answering:
            raise ValueError(
                "first_token_ms, tokens_per_s and answer_tokens are only allowed with kinds "
                "ok, stall, drop and no_final"
            )
        for key, kind in (
            ("stall_after_tokens", FaultKind.STALL),
            ("drop_after_tokens", FaultKind.DROP),
        ):
            value = getattr(self, key)
            if (self.kind is kind) != (value is not None):
                raise ValueError(f"{key} is required with kind '{kind}' and only allowed with it")
            if value is not None and value < 0:
                raise ValueError(f"{key} must not be negative")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")
        if self.count is not None and self.kind is FaultKind.REFUSE:
            # Refused connections never reach the simulator, so they cannot be counted.
            raise ValueError("count is not supported with kind 'refuse'")
        if self.retry_after_ms is not None and self.retry_after_ms < 0:
            raise ValueError("retry_after_ms must not be negative")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value}
        for key in (*_SCALARS, *PACING_FIELDS):
            value = getattr(self, key)
            if value not in (None, 0):
                data[key] = value
        for key in _TOKEN_COUNTS:  # 0 is meaningful here
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """Parse a control-API fault; unknown fields and wrong types are rejected."""
        if not isinstance(data, dict):
            raise ValueError("fault must be a JSON object")  # noqa: TRY004 - a bad request
        unknown = set(data) - _FIELDS
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        try:
            kind = FaultKind(data.get("kind", FaultKind.OK.value))
        except ValueError:
            raise ValueError(
                f"kind must be one of {', '.join(k.value for k in FaultKind)}"
            ) from None
        retry_after = data.get("retry_after")
        if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
            retry_after = _format_seconds(retry_after)
        return cls(
            kind=kind,
            latency_ms=_int(data, "latency_ms") or 0,
            status=_int(data, "status"),
            retry_after=_str(retry_after, "retry_after"),
            retry_after_ms=_int(data, "retry_after_ms"),
            answer=_str(data.get("answer"), "answer"),
            count=_int(data, "count"),
            stall_after_tokens=_int(data, "stall_after_tokens"),
            drop_after_tokens=_int(data, "drop_after_tokens"),
            **pacing_fields(data),
        )


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer")  # noqa: TRY004 - a bad request
    return value


def _str(value: object, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")  # noqa: TRY004 - a bad request
    return value
