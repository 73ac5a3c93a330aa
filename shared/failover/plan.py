"""The failover policy, as pure values and functions.

The HTTP trigger builds a :class:`ChatPlan` (which tiers, in what order, with which stream
times, and the absolute deadline of the whole request), then stamps each tier with its breaker's
admission (:meth:`ChatPlan.with_admissions`): a tier whose breaker is open is skipped, and the
one request holding a half-open probe lease carries that flag. Admission is decided before the
orchestration starts, so replay never depends on breaker state. The orchestration walks the
plan, asking :meth:`ChatPlan.time_for` for each tier's :class:`TierTimes`, and records one
:class:`Attempt` per tier. Everything round-trips through JSON, because the plan is the
orchestration input and the :class:`FailoverResult` is its output; nothing here reads a clock
or does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from shared.models import Attempt, ChatRequest, Completion, Outcome, ProviderResult
from shared.platform import FailoverConfig, emergency_tier

EMERGENCY = "emergency"
# Tiers skipped by the operator's policy, not by a fault: they are not expected to answer.
POLICY_SKIPS = frozenset({Outcome.DISABLED, Outcome.RESIDENCY_BLOCKED})


@dataclass(frozen=True, slots=True)
class TierStep:
    """One LLM tier in the plan, with its stream times from config. ``skip`` is set when the
    tier must not be called at all; ``probe`` when this request holds the tier's half-open
    probe lease."""

    name: str
    tier: int
    first_token_s: float
    stall_s: float
    total_s: float
    skip: Outcome | None = None
    probe: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tier": self.tier,
            "first_token_s": self.first_token_s,
            "stall_s": self.stall_s,
            "total_s": self.total_s,
            "skip": self.skip.value if self.skip else None,
            "probe": self.probe,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TierStep:
        # A plan written before answers were streamed has one ``timeout_s`` per tier, which
        # bounded the whole answer: orchestrations in flight across a deploy keep that bound.
        def seconds(key: str) -> float:
            return float(data[key] if key in data else data["timeout_s"])

        return cls(
            name=data["name"],
            tier=int(data["tier"]),
            first_token_s=seconds("first_token_s"),
            stall_s=seconds("stall_s"),
            total_s=seconds("total_s"),
            skip=Outcome(data["skip"]) if data.get("skip") else None,
            probe=bool(data.get("probe", False)),
        )


@dataclass(frozen=True, slots=True)
class TierTimes:
    """How long one tier may take, in seconds from when it is called.

    The activity enforces the stream deadlines itself (``first_token_s``, ``stall_s``,
    ``total_s``), so a dead provider costs about ``first_token_s``; the SDK's own timeout
    (``sdk_timeout_s``) sits beyond them so it never cuts a working stream short. The durable
    timer (``timer_s``) is the backstop for an activity that does not report at all: the total
    plus a margin for the activity's scheduling and reply.
    """

    first_token_s: float
    stall_s: float
    total_s: float
    sdk_timeout_s: float
    timer_s: float

    def payload(self) -> dict[str, float]:
        """The times as the ``call_provider`` activity receives them."""
        return {
            "first_token_s": self.first_token_s,
            "stall_s": self.stall_s,
            "total_s": self.total_s,
            "sdk_timeout_s": self.sdk_timeout_s,
        }


@dataclass(frozen=True, slots=True)
class ChatPlan:
    """The orchestration input."""

    request: ChatRequest
    steps: tuple[TierStep, ...]
    deadline: datetime
    min_tier_time_s: float
    sdk_timeout_margin_s: float
    timer_margin_s: float = 1.0

    @property
    def emergency_tier(self) -> int:
        return emergency_tier(self.steps)

    @property
    def preferred_tier(self) -> int:
        """The tier an ordinary answer should come from: the first one the policy permits
        (not disabled in config, not blocked by ``DATA_RESIDENCY``). An answer from any other
        tier is ``degraded``."""
        for step in self.steps:
            if step.skip not in POLICY_SKIPS:
                return step.tier
        return self.emergency_tier

    def callable_tiers(self) -> list[str]:
        """The tiers the plan would call, in order: those not skipped."""
        return [step.name for step in self.steps if step.skip is None]

    def with_admissions(self, admissions: Mapping[str, tuple[bool, bool]]) -> ChatPlan:
        """The plan with each tier's breaker admission, ``name -> (allowed, probe)``, applied:
        a refused tier is skipped as ``breaker_open``. Tiers missing from ``admissions`` are
        left as they are (allowed), so a breaker that cannot be read never blocks chat."""
        steps = []
        for step in self.steps:
            allowed, probe = admissions.get(step.name, (True, False))
            if step.skip is not None:
                steps.append(step)
            elif not allowed:
                steps.append(replace(step, skip=Outcome.BREAKER_OPEN, probe=False))
            else:
                steps.append(replace(step, probe=probe))
        return replace(self, steps=tuple(steps))

    def time_for(self, step: TierStep, now: datetime) -> TierTimes | None:
        """The tier's times if it starts at ``now``, or None when the budget is spent. The
        total is cut to what is left of the budget, and no deadline exceeds the total."""
        remaining = (self.deadline - now).total_seconds()
        total = min(step.total_s, remaining)
        if total < self.min_tier_time_s:
            return None
        first_token = min(step.first_token_s, total)
        stall = min(step.stall_s, total)
        return TierTimes(
            first_token_s=first_token,
            stall_s=stall,
            total_s=total,
            sdk_timeout_s=max(first_token, stall) + self.sdk_timeout_margin_s,
            timer_s=total + self.timer_margin_s,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request.to_json(),
            "steps": [s.to_json() for s in self.steps],
            "deadline": self.deadline.isoformat(),
            "min_tier_time_s": self.min_tier_time_s,
            "sdk_timeout_margin_s": self.sdk_timeout_margin_s,
            "timer_margin_s": self.timer_margin_s,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatPlan:
        return cls(
            request=ChatRequest.from_json(data["request"]),
            steps=tuple(TierStep.from_json(s) for s in data["steps"]),
            deadline=datetime.fromisoformat(data["deadline"]),
            min_tier_time_s=float(data["min_tier_time_s"]),
            sdk_timeout_margin_s=float(data["sdk_timeout_margin_s"]),
            timer_margin_s=float(data.get("timer_margin_s", 1.0)),
        )


def build_plan(
    config: FailoverConfig,
    request: ChatRequest,
    received_at: datetime,
    *,
    is_configured: Callable[[str], bool],
    blocked: Callable[[str], Outcome | None] = lambda _name: None,
) -> ChatPlan:
    """Plan the tiers for one request that arrived at ``received_at`` (UTC)."""
    steps: list[TierStep] = []
    for index, tier in enumerate(config.tiers, start=1):
        # The operator's policy first (disabled, then residency), then faults: a US tier with
        # no key under DATA_RESIDENCY=uk is residency_blocked, so it is not expected to answer.
        skip: Outcome | None
        if not tier.enabled:
            skip = Outcome.DISABLED
        elif (policy := blocked(tier.name)) is not None:
            skip = policy
        elif not is_configured(tier.name):
            skip = Outcome.NOT_CONFIGURED
        else:
            skip = None
        steps.append(
            TierStep(tier.name, index, tier.first_token_s, tier.stall_s, tier.total_s, skip)
        )
    deadline = received_at + timedelta(seconds=config.budget_s - config.finish_reserve_s)
    return ChatPlan(
        request=request,
        steps=tuple(steps),
        deadline=deadline,
        min_tier_time_s=config.min_tier_time_s,
        sdk_timeout_margin_s=config.sdk_timeout_margin_s,
        timer_margin_s=config.timer_margin_s,
    )


def residency_policy(config: FailoverConfig, residency: str) -> Callable[[str], Outcome | None]:
    """With ``residency == "uk"``, tiers that declare a non-UK processing region are blocked."""
    if residency.lower() != "uk":
        return lambda _name: None
    blocked = {t.name for t in config.tiers if t.region not in config.uk_regions}
    return lambda name: Outcome.RESIDENCY_BLOCKED if name in blocked else None


@dataclass(frozen=True, slots=True)
class FailoverResult:
    """The orchestration output: which tier answered, and every attempt on the way."""

    tier: int
    provider: str
    completion: Completion | None
    attempts: tuple[Attempt, ...]

    @property
    def answered_by_llm(self) -> bool:
        return self.completion is not None and self.provider != EMERGENCY

    def to_json(self) -> dict[str, Any]:
        result = ProviderResult(
            outcome=Outcome.OK if self.completion else Outcome.UNAVAILABLE,
            completion=self.completion,
        )
        return {
            "tier": self.tier,
            "provider": self.provider,
            "completion": result.to_json()["completion"],
            "attempts": [a.to_json() for a in self.attempts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FailoverResult:
        completion = None
        if data.get("completion") is not None:
            completion = ProviderResult.from_json(
                {"outcome": "ok", "completion": data["completion"]}
            ).completion
        return cls(
            tier=int(data["tier"]),
            provider=str(data["provider"]),
            completion=completion,
            attempts=tuple(Attempt.from_json(a) for a in data.get("attempts", [])),
        )


def emergency_result(plan: ChatPlan, attempts: tuple[Attempt, ...] = ()) -> FailoverResult:
    """The emergency tier: no LLM answered. The text is filled in from config by the caller."""
    return FailoverResult(
        tier=plan.emergency_tier, provider=EMERGENCY, completion=None, attempts=attempts
    )
