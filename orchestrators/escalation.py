"""``escalation_orchestrator``: deliver, retry with durable timers, await acknowledgement.

Every channel (Teams and email) is tried together; a failure of one never stops the other.
Undelivered channels are retried with exponential backoff, on durable timers, until delivered
or the retry window runs out. If nothing at all was delivered, operations are alerted. A crisis
escalation then waits for a nurse's acknowledgement (the ``ack`` external event); if none comes
within the configured delay, the supervisor is alerted.

**Versions.** An escalation lives up to about 35 minutes, so a deployment meets instances in
flight, and their replay must take the steps they took before. The extension stamps each new
instance with ``defaultVersion`` from ``host.json`` (``versionMatchStrategy: CurrentOrOlder``,
so a worker never picks up an instance newer than its code), and the orchestrator runs the flow
of the instance's own version (``context.version``). A flow, once deployed, is never edited:
a change is a new version, and the old one stays until its instances have drained (35 minutes
after the deployment; keep it for a day).

- ``""`` (instances started before versioning) and ``"1"``: the "started" audit row, then the
  first delivery round.
- ``"2"``: the first delivery round, then the "started" row, so the nurse team's first alert
  never waits behind the ``escalations`` table (whose retries take up to 15 s when storage is in
  trouble).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from shared.bootstrap import get_runtime
from shared.escalation import ACK_EVENT, CHANNELS, Escalation, RetryConfig
from shared.platform import ESCALATION_ORCHESTRATION

log = logging.getLogger(__name__)

DELIVER = "deliver_escalation"
AUDIT = "audit_escalation"

bp = df.Blueprint()
AUDIT_ATTEMPTS = 5


def _audit(
    context: df.DurableOrchestrationContext, escalation_id: str, event: str, fields: dict[str, Any]
) -> Generator[Any, Any, None]:
    """Write one audit row, retrying on durable timers; the activity logs a row it cannot store."""
    payload = {"id": escalation_id, "event": event, "fields": fields}
    for attempt in range(AUDIT_ATTEMPTS):
        try:
            yield context.call_activity(AUDIT, payload, expected_type=bool)
        except Exception:  # noqa: BLE001 - storage trouble: back off and try again
            if attempt + 1 < AUDIT_ATTEMPTS:
                yield context.create_timer(
                    context.current_utc_datetime + timedelta(seconds=2.0**attempt)
                )
        else:
            return


def deliver(
    context: df.DurableOrchestrationContext,
    escalation: Escalation,
    retry: RetryConfig,
    after_first_round: Callable[[], Generator[Any, Any, None]] | None = None,
) -> Generator[Any, Any, list[str]]:
    """Deliver on every channel, retrying the undelivered ones; return the delivered channels.

    ``after_first_round`` runs once, after the first round's results are in."""
    started = context.current_utc_datetime
    delays = retry.delays()
    pending: list[str] = list(CHANNELS)
    delivered: list[str] = []
    attempt = 0
    while pending:
        attempt += 1
        results = yield context.task_all(
            [
                context.call_activity(
                    DELIVER,
                    {"escalation": escalation.to_json(), "channel": channel, "attempt": attempt},
                    expected_type=dict,
                )
                for channel in pending
            ]
        )
        still: list[str] = []
        for channel, result in zip(pending, results, strict=True):
            if result["ok"]:
                delivered.append(channel)
            elif not result["skipped"]:
                still.append(channel)
        pending = still
        if after_first_round is not None and attempt == 1:
            yield from after_first_round()
        if not pending:
            break
        delay = next(delays)
        elapsed = (context.current_utc_datetime - started).total_seconds()
        if elapsed + delay > retry.window_s:
            yield from _audit(
                context,
                escalation.id,
                "gave_up",
                {"channels": ",".join(pending), "attempts": attempt},
            )
            break
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=delay))
    return delivered


def _started_row(
    context: df.DurableOrchestrationContext, escalation: Escalation
) -> Generator[Any, Any, None]:
    yield from _audit(
        context,
        escalation.id,
        "started",
        {
            "audience": escalation.audience,
            "kind": escalation.kind,
            "category": escalation.category,
            "conversation_ref": escalation.conversation_ref,
            "signals": ",".join(escalation.signals),
        },
    )


def _flow_v1(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Version 1 (and instances without a version): the "started" row, then delivery."""
    data = context.get_input(expected_type=dict)
    escalation = Escalation.from_json(data["escalation"])
    retry = RetryConfig(**data["retry"])
    now = context.current_utc_datetime.isoformat()
    if not context.is_replaying:
        log.info("escalation started: id=%s kind=%s", escalation.id, escalation.kind)
    yield from _started_row(context, escalation)
    delivered = yield from deliver(context, escalation, retry)
    return (
        yield from _after_delivery(
            context, data, escalation=escalation, retry=retry, delivered=delivered, now=now
        )
    )


def _flow_v2(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Version 2: the first delivery round, then the "started" row."""
    data = context.get_input(expected_type=dict)
    escalation = Escalation.from_json(data["escalation"])
    retry = RetryConfig(**data["retry"])
    now = context.current_utc_datetime.isoformat()
    if not context.is_replaying:
        log.info("escalation started: id=%s kind=%s", escalation.id, escalation.kind)
    delivered = yield from deliver(
        context, escalation, retry, after_first_round=lambda: _started_row(context, escalation)
    )
    return (
        yield from _after_delivery(
            context, data, escalation=escalation, retry=retry, delivered=delivered, now=now
        )
    )


def _after_delivery(
    context: df.DurableOrchestrationContext,
    data: dict[str, Any],
    *,
    escalation: Escalation,
    retry: RetryConfig,
    delivered: list[str],
    now: str,
) -> Generator[Any, Any, dict[str, Any]]:
    """Operations if nothing was delivered; then, for a crisis, the acknowledgement wait."""
    if not delivered and escalation.audience != "operations":
        notice = escalation.derived(
            id=f"{escalation.id}-undeliverable",
            audience="operations",
            kind="undeliverable",
            title="An escalation could not be delivered to any channel",
            created_at=now,
        )
        yield from deliver(context, notice, retry)
    acknowledged: bool | None = None
    ack_timeout_s = data.get("ack_timeout_s")
    if escalation.kind == "crisis" and ack_timeout_s:
        ack = context.wait_for_external_event(ACK_EVENT, expected_type=dict)
        timer = context.create_timer(
            context.current_utc_datetime + timedelta(seconds=float(ack_timeout_s))
        )
        winner = yield context.task_any([ack, timer])
        acknowledged = winner == ack
        if acknowledged:
            timer.cancel()
        else:
            reminder = escalation.derived(
                id=f"{escalation.id}-unacknowledged",
                audience="supervisor",
                kind="unacknowledged",
                title="A crisis escalation has not been acknowledged",
                created_at=context.current_utc_datetime.isoformat(),
            )
            yield from _audit(context, escalation.id, "ack_overdue", {})
            yield from deliver(context, reminder, retry)
    return {"id": escalation.id, "delivered": delivered, "acknowledged": acknowledged}


# Every flow version still in service, by the version the extension stamped on the instance.
# host.json's defaultVersion must be the newest key (a test holds them together).
FLOWS: dict[
    str, Callable[[df.DurableOrchestrationContext], Generator[Any, Any, dict[str, Any]]]
] = {
    "": _flow_v1,
    "1": _flow_v1,
    "2": _flow_v2,
}
CURRENT_VERSION = "2"


class UnknownFlowVersionError(RuntimeError):
    """An instance stamped with a version this code does not have."""


def escalation_flow(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """The flow of the instance's own version."""
    version = context.version or ""
    flow = FLOWS.get(version)
    if flow is None:
        raise UnknownFlowVersionError(f"no escalation flow for version {version!r}")
    return (yield from flow(context))


@bp.orchestration_trigger(context_name="context", orchestration=ESCALATION_ORCHESTRATION)
def escalation_orchestrator(
    context: df.DurableOrchestrationContext,
) -> Generator[Any, Any, dict[str, Any]]:
    return escalation_flow(context)


@bp.activity_trigger(input_name="payload", activity=DELIVER)
async def deliver_escalation(payload: dict[str, Any]) -> dict[str, Any]:
    """Send on one channel once; audit the outcome. Never raises."""
    escalation = Escalation.from_json(payload["escalation"])
    result = await get_runtime().escalator.deliver_one(
        escalation, payload["channel"], int(payload.get("attempt", 1))
    )
    return {"ok": result.ok, "skipped": result.skipped, "detail": result.detail}


@bp.activity_trigger(input_name="payload", activity=AUDIT)
def audit_escalation(payload: dict[str, Any]) -> bool:
    get_runtime().escalator.record_audit(
        payload["id"], payload["event"], payload.get("fields", {}), raise_errors=True
    )
    return True
