"""Timer triggers: provider health checks (every minute) and secret rotation (daily).

The schedules are app settings (``HEALTH_CHECK_SCHEDULE``, ``SECRET_ROTATION_SCHEDULE``), so
every environment must set them. In Azure a timer trigger runs as a singleton across the app's
instances and never overlaps its previous run; the dev host keeps the same promise.
"""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from shared.escalation import alerts
from shared.observability import observer as observability
from shared.operations.health import HealthChecker, HealthSettings
from shared.operations.results_table import store_for
from shared.operations.rotation import run_secret_rotation
from shared.runtime import get_runtime

bp = df.Blueprint()


# A missed minute is not worth catching up after a restart, so no schedule monitor.
@bp.timer_trigger(schedule="%HEALTH_CHECK_SCHEDULE%", arg_name="timer", use_monitor=False)
@bp.durable_client_input(client_name="client")
async def health_check(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    runtime = get_runtime()
    checker = HealthChecker(
        runtime.config.failover.tiers,
        runtime.providers,
        runtime.breakers,
        store_for(runtime),
        timeout_s=HealthSettings.from_settings(runtime.settings).timeout_s,
    )
    run = await checker.run()
    observability.health_checked(runtime, run.results)
    # A breaker a check has opened is alerted now, even when nobody is chatting.
    await alerts.flush(runtime, DurableOrchestrations(client))


# A daily job missed during a restart runs when the app is back (the schedule monitor).
@bp.timer_trigger(schedule="%SECRET_ROTATION_SCHEDULE%", arg_name="timer", use_monitor=True)
@bp.durable_client_input(client_name="client")
async def secret_rotation(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    await run_secret_rotation(get_runtime(), DurableOrchestrations(client))
