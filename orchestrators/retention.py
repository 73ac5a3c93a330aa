"""The ``audit_retention`` timer: purge audit rows older than the retention period, daily.

The schedule is the app setting ``AUDIT_RETENTION_SCHEDULE`` (NCRONTAB, for example
``0 30 2 * * *``), so every environment must set it; the retention period is
``audit.retention_days`` in ``observability-config.json`` (90 by default). The purge itself is
audited (an ``event`` row, ``retention_purge``, with the cutoff and the number deleted).
"""

from __future__ import annotations

import asyncio
import logging

import azure.functions as func

from shared.bootstrap import get_runtime

log = logging.getLogger(__name__)

bp = func.Blueprint()  # type: ignore[no-untyped-call]


# A purge missed during a restart runs when the app is back (the schedule monitor).
@bp.timer_trigger(schedule="%AUDIT_RETENTION_SCHEDULE%", arg_name="timer", use_monitor=True)
async def audit_retention(timer: func.TimerRequest) -> None:
    trail = get_runtime().observability.trail
    result = await asyncio.to_thread(trail.purge)
    log.info("audit retention: %d rows older than %.0f deleted", result.deleted, result.cutoff)
