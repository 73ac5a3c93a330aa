"""The ``chat`` orchestration: try each tier in order, each raced against a durable timer.

Replay-safe by construction: the plan (tiers, timeouts and the absolute deadline) arrives as
the orchestration input, time comes only from ``context.current_utc_datetime``, and all I/O
happens in the ``call_provider`` activity.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from shared.failover import Attempt, ChatPlan, FailoverResult, emergency_result
from shared.models import ChatRequest, Outcome, ProviderRequest, ProviderResult
from shared.runtime import get_runtime

ORCHESTRATION = "chat_orchestrator"
CALL_PROVIDER = "call_provider"

bp = df.Blueprint()


def failover(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Walk the plan; return the first tier's answer, or the emergency tier."""
    plan = ChatPlan.from_json(context.get_input(expected_type=dict))
    attempts: list[Attempt] = []
    for step in plan.steps:
        if step.skip is not None:
            attempts.append(Attempt(step.name, step.skip, 0.0))
            continue
        allowed = plan.time_for(step, context.current_utc_datetime)
        if allowed is None:
            attempts.append(Attempt(step.name, Outcome.BUDGET_EXHAUSTED, 0.0))
            continue
        activity = context.call_activity(
            CALL_PROVIDER,
            {
                "tier": step.name,
                "request": plan.request.to_json(),
                "timeout_s": plan.sdk_timeout_for(allowed),
            },
            expected_type=dict,
        )
        timer = context.create_timer(context.current_utc_datetime + timedelta(seconds=allowed))
        winner = yield context.task_any([activity, timer])
        if winner == activity:
            timer.cancel()
            try:
                # Re-yield: a failed activity also wins task_any; this raises its exception.
                result = ProviderResult.from_json((yield activity))
            except Exception:  # noqa: BLE001 - our activity crashed: treat like an outage
                result = ProviderResult(outcome=Outcome.ERROR, detail="activity failed")
        else:
            result = ProviderResult(outcome=Outcome.TIMEOUT, ms=allowed * 1000.0)
        attempts.append(Attempt(step.name, result.outcome, result.ms))
        if result.outcome is Outcome.OK and result.completion is not None:
            return FailoverResult(
                step.tier, step.name, result.completion, tuple(attempts)
            ).to_json()
    return emergency_result(len(plan.steps), tuple(attempts)).to_json()


@bp.orchestration_trigger(context_name="context", orchestration=ORCHESTRATION)
def chat_orchestrator(
    context: df.DurableOrchestrationContext,
) -> Generator[Any, Any, dict[str, Any]]:
    return failover(context)


@bp.activity_trigger(input_name="payload", activity=CALL_PROVIDER)
async def call_provider(payload: dict[str, Any]) -> dict[str, Any]:
    """Call one provider once. Provider trouble comes back as a typed outcome, never raised."""
    runtime = get_runtime()
    request = ChatRequest.from_json(payload["request"])
    provider = runtime.providers[payload["tier"]]
    result = await provider.complete(
        ProviderRequest(
            system_prompt=runtime.config.safety.system_prompt,
            messages=request.messages,
            timeout_s=float(payload["timeout_s"]),
            max_tokens=request.max_tokens,
            temperature=request.temperature,
        )
    )
    return result.to_json()
