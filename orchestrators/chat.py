"""``chat_orchestrator``: try each tier in order, each raced against a durable timer.

The ``call_provider`` activity streams the answer and returns at the tier's first-token or
stall deadline, so a dead provider costs about its first-token time; the durable timer covers
the tier's whole total plus a margin, and only fires when the activity itself does not report.

Replay-safe by construction: the plan (tiers, stream times, the absolute deadline and each tier's
breaker admission, decided by the HTTP trigger) arrives as the orchestration input, time comes
only from ``context.current_utc_datetime``, and all I/O happens in the ``call_provider``
activity. One request is therefore two episodes when the first tier it calls answers: schedule,
then complete.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from shared.bootstrap import get_runtime
from shared.failover import ChatPlan, FailoverResult, emergency_result
from shared.models import Attempt, ChatRequest, Outcome, ProviderRequest, ProviderResult
from shared.platform import CHAT_ORCHESTRATION, SafetyConfig
from shared.safety import guard_answer

CALL_PROVIDER = "call_provider"

log = logging.getLogger(__name__)
bp = df.Blueprint()


def failover(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Walk the plan; return the first tier's answer, or the emergency tier."""
    data = context.get_input(expected_type=dict)
    plan = ChatPlan.from_json(data)
    # The HTTP trigger's trace context, handed on so each provider call is a child span.
    trace = data.get("trace") or {}
    attempts: list[Attempt] = []
    for step in plan.steps:
        if step.skip is not None:
            attempts.append(Attempt(step.name, step.skip, 0.0))
            continue
        times = plan.time_for(step, context.current_utc_datetime)
        if times is None:
            attempts.append(Attempt(step.name, Outcome.BUDGET_EXHAUSTED, 0.0))
            continue
        activity = context.call_activity(
            CALL_PROVIDER,
            {
                "tier": step.name,
                "request": plan.request.to_json(),
                **times.payload(),
                "probe": step.probe,
                "tier_number": step.tier,
                "trace": trace,
            },
            expected_type=dict,
        )
        timer = context.create_timer(
            context.current_utc_datetime + timedelta(seconds=times.timer_s)
        )
        winner = yield context.task_any([activity, timer])
        if winner == activity:
            timer.cancel()
            try:
                # Re-yield: a failed activity also wins task_any; this raises its exception.
                result = ProviderResult.from_json((yield activity))
            except Exception:  # noqa: BLE001 - our activity crashed: treat like an outage
                result = ProviderResult(outcome=Outcome.ERROR, detail="activity failed")
        else:
            result = ProviderResult(outcome=Outcome.TIMEOUT, ms=times.timer_s * 1000.0)
        attempts.append(Attempt(step.name, result.outcome, result.ms))
        if result.outcome is Outcome.OK and result.completion is not None:
            return FailoverResult(
                step.tier, step.name, result.completion, tuple(attempts)
            ).to_json()
    return emergency_result(plan, tuple(attempts)).to_json()


@bp.orchestration_trigger(context_name="context", orchestration=CHAT_ORCHESTRATION)
def chat_orchestrator(
    context: df.DurableOrchestrationContext,
) -> Generator[Any, Any, dict[str, Any]]:
    return failover(context)


def _record(tier: str, result: ProviderResult, probe: bool) -> None:
    try:
        get_runtime().breakers.record(
            tier, result.outcome, retry_after_s=result.retry_after_s, probe=probe
        )
    except Exception:
        log.exception("breaker outcome not recorded for %s", tier)


@bp.activity_trigger(input_name="payload", activity=CALL_PROVIDER)
async def call_provider(payload: dict[str, Any]) -> dict[str, Any]:
    """Call one provider once, streaming, within the payload's stream times; then report the
    outcome to its breaker. Never raises for provider trouble: that comes back as a typed
    outcome. A payload scheduled before streaming has one ``timeout_s`` for the whole call."""
    runtime = get_runtime()
    request = ChatRequest.from_json(payload["request"])
    provider = runtime.providers[payload["tier"]]
    with runtime.observability.attempt_span(
        payload.get("trace"), provider=payload["tier"], tier=payload.get("tier_number")
    ) as span:
        result = await provider.complete(
            ProviderRequest(
                system_prompt=runtime.config.safety.system_prompt,
                messages=request.messages,
                timeout_s=float(payload["total_s" if "total_s" in payload else "timeout_s"]),
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                first_token_s=_seconds(payload, "first_token_s"),
                stall_s=_seconds(payload, "stall_s"),
                sdk_timeout_s=_seconds(payload, "sdk_timeout_s"),
            )
        )
        result = guarded(result, runtime.config.safety)
        span.outcome(result.outcome.value)
    # In the background (see shared.breakers.writer): neither the answer nor the failover to the
    # next tier waits for the breaker's table write.
    tier, probe = payload["tier"], bool(payload.get("probe", False))
    runtime.outcomes.submit(
        lambda: _record(tier, result, probe),
        {
            "tier": tier,
            "outcome": result.outcome.value,
            "retry_after_s": result.retry_after_s,
            "probe": probe,
        },
    )
    return result.to_json()


def _seconds(payload: dict[str, Any], key: str) -> float | None:
    value = payload.get(key)
    return None if value is None else float(value)


def guarded(result: ProviderResult, safety: SafetyConfig) -> ProviderResult:
    """The same output check for every tier: links outside the allowlist are removed, and an
    answer with diagnosis or prescription language is content_filtered (the next tier is tried).
    """
    if result.outcome is not Outcome.OK or result.completion is None:
        return result
    verdict = guard_answer(result.completion.text, safety)
    if not verdict.ok:
        return ProviderResult(
            outcome=Outcome.CONTENT_FILTERED, ms=result.ms, detail=f"output guard: {verdict.reason}"
        )
    if verdict.text == result.completion.text:
        return result
    return replace(result, completion=replace(result.completion, text=verdict.text))
