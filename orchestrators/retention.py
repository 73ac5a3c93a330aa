"""Retention timers: the audit purge (daily) and the task hub purge (every few minutes).

``audit_retention`` purges audit rows older than the retention period. Its schedule is the app
setting ``AUDIT_RETENTION_SCHEDULE`` (NCRONTAB, for example ``0 30 2 * * *``), so every
environment must set it; the retention period is ``audit.retention_days`` in
``observability-config.json`` (90 by default). The purge itself is audited (an ``event`` row,
``retention_purge``, with the cutoff and the number deleted).

The same daily timer then purges the ``escalations`` table (delivery, acknowledgement and
reminder rows, and de-duplication claims) older than ``ESCALATION_RETENTION_DAYS`` (90 by
default), and audits that purge too (``escalation_retention_purge``); a failure of one purge
does not stop the other.

``task_hub_retention`` purges finished chat instances older than
``CHAT_INSTANCE_RETENTION_MINUTES`` (15) and finished escalation instances older than
``ESCALATION_INSTANCE_RETENTION_HOURS`` (2), on the schedule ``TASK_HUB_PURGE_SCHEDULE``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from shared.bootstrap import get_runtime
from shared.escalation.retention import purge_escalations
from shared.operations import TaskHubRetention, purge_task_hub

log = logging.getLogger(__name__)

bp = df.Blueprint()


# A purge missed during a restart runs when the app is back (the schedule monitor).
@bp.timer_trigger(schedule="%AUDIT_RETENTION_SCHEDULE%", arg_name="timer", use_monitor=True)
async def audit_retention(timer: func.TimerRequest) -> None:
    runtime = get_runtime()
    trail = runtime.observability.trail
    try:
        result = await asyncio.to_thread(trail.purge)
        log.info("audit retention: %d rows older than %.0f deleted", result.deleted, result.cutoff)
    finally:
        purge = await asyncio.to_thread(purge_escalations, runtime.settings, time.time())
        trail.event(
            "escalation_retention_purge",
            {"deleted": purge.deleted, "cutoff": datetime.fromtimestamp(purge.cutoff, UTC)},
        )
        log.info(
            "escalation retention: %d rows older than %.0f deleted", purge.deleted, purge.cutoff
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


# Chat instances the trigger could not purge are caught within minutes; a missed run is not
# worth catching up after a restart (the next one purges the same instances).
@bp.timer_trigger(schedule="%TASK_HUB_PURGE_SCHEDULE%", arg_name="timer", use_monitor=False)
@bp.durable_client_input(client_name="client")
async def task_hub_retention(
    timer: func.TimerRequest, client: df.DurableOrchestrationClient
) -> None:
    retention = TaskHubRetention.from_settings(get_runtime().settings)
    orchestrations = DurableOrchestrations(client, list_page=retention.list_page)
    report = await purge_task_hub(orchestrations, retention, _utc_now)
    log.info(
        "task hub retention: %d chat and %d escalation instances purged",
        report.chats,
        report.escalations,
    )
