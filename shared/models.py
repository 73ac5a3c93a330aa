"""Values that flow through the gateway.

A chat request is parsed once into a :class:`ChatRequest`. Each provider adapter turns it into
one :class:`ProviderResult`, whose :class:`Outcome` is the only thing the failover policy and
the circuit breakers look at. Everything here is immutable and JSON-friendly, because these
values cross the Durable Functions boundary (orchestration input, activity results).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant")


class Outcome(StrEnum):
    """What happened when one tier was tried."""

    OK = "ok"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    AUTH_ERROR = "auth_error"
    BAD_REQUEST = "bad_request"
    CONTENT_FILTERED = "content_filtered"
    NOT_CONFIGURED = "not_configured"
    DISABLED = "disabled"
    BREAKER_OPEN = "breaker_open"
    RESIDENCY_BLOCKED = "residency_blocked"
    BUDGET_EXHAUSTED = "budget_exhausted"
    ERROR = "error"  # our own activity failed unexpectedly; treated like unavailable

    @property
    def counts_against_provider(self) -> bool:
        """Whether a circuit breaker should count this outcome as a provider failure."""
        return self in _BREAKER_FAILURES


_BREAKER_FAILURES = frozenset(
    {Outcome.TIMEOUT, Outcome.UNAVAILABLE, Outcome.RATE_LIMITED, Outcome.AUTH_ERROR}
)


@dataclass(frozen=True, slots=True)
class Message:
    """One conversation turn."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated chat request from the bot."""

    messages: tuple[Message, ...]
    model: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    user: str | None = None
    conversation_id: str | None = None
    # Who is writing, as the bot knows it (``metadata``): the UK nation (england, wales,
    # scotland, northern_ireland), the age band (under_18, adult) and the language (en, cy).
    # They choose the crisis and emergency services a reply lists; None when not sent.
    nation: str | None = None
    age_band: str | None = None
    language: str | None = None

    @property
    def conversation_key(self) -> str | None:
        """The identifier used to group a conversation (never logged raw)."""
        return self.conversation_id or self.user

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatRequest:
        return cls(
            messages=tuple(Message(role=m["role"], content=m["content"]) for m in data["messages"]),
            model=data.get("model"),
            max_tokens=data.get("max_tokens"),
            temperature=data.get("temperature"),
            user=data.get("user"),
            conversation_id=data.get("conversation_id"),
            nation=data.get("nation"),
            age_band=data.get("age_band"),
            language=data.get("language"),
        )


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """What an adapter sends: the safety prompt, the conversation and the limits.

    The answer is streamed, and three times bound it, each in seconds: the first content must
    arrive within ``first_token_s`` of the start, each next piece within ``stall_s`` of the last
    content, and the whole answer within ``timeout_s``. Unset, the first two are ``timeout_s``
    (one bound on the whole call). ``sdk_timeout_s`` is the SDK client's own per-read timeout,
    a backstop that must never cut a working stream short; unset, it is the longer of the first
    two.
    """

    system_prompt: str
    messages: tuple[Message, ...]
    timeout_s: float
    max_tokens: int | None = None
    temperature: float | None = None
    first_token_s: float | None = None
    stall_s: float | None = None
    sdk_timeout_s: float | None = None

    @property
    def first_token_limit_s(self) -> float:
        """Seconds from the start to the first content (never more than the total)."""
        return min(self.timeout_s, self.first_token_s or self.timeout_s)

    @property
    def stall_limit_s(self) -> float:
        """Seconds the stream may go without new content once it has started."""
        return min(self.timeout_s, self.stall_s or self.timeout_s)

    @property
    def sdk_read_timeout_s(self) -> float:
        """The SDK client's timeout: never below the stream's own deadlines."""
        floor = max(self.first_token_limit_s, self.stall_limit_s)
        return max(floor, self.sdk_timeout_s or floor)


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Completion:
    """A provider's answer, normalised across SDKs."""

    text: str
    finish_reason: str
    model: str
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """The typed result of one provider call. ``detail`` never holds message content."""

    outcome: Outcome
    completion: Completion | None = None
    retry_after_s: float | None = None
    status: int | None = None
    detail: str = ""
    ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProviderResult:
        completion = data.get("completion")
        return cls(
            outcome=Outcome(data["outcome"]),
            completion=None
            if completion is None
            else Completion(
                text=completion["text"],
                finish_reason=completion["finish_reason"],
                model=completion["model"],
                usage=Usage(**completion.get("usage", {})),
            ),
            retry_after_s=data.get("retry_after_s"),
            status=data.get("status"),
            detail=data.get("detail", ""),
            ms=float(data.get("ms", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One tier tried for a request: its outcome and how long it took."""

    provider: str
    outcome: Outcome
    ms: float

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "outcome": self.outcome.value, "ms": round(self.ms, 1)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(data["provider"], Outcome(data["outcome"]), float(data["ms"]))
