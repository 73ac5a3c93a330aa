"""Timer triggers: provider health checks (every minute) and secret rotation (daily).

The schedules are app settings (``HEALTH_CHECK_SCHEDULE``, ``SECRET_ROTATION_SCHEDULE``), so
every environment must set them. In Azure a timer trigger runs as a singleton across the app's
instances and never overlaps its previous run; the dev host keeps the same promise.
"""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from shared.bootstrap import get_runtime
from shared.operations import HealthChecker, HealthSettings, run_secret_rotation

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
        runtime.health_results,
        timeout_s=HealthSettings.from_settings(runtime.settings).timeout_s,
        events=runtime.events,
    )
    await checker.run()
    # A breaker a check has opened is alerted now, even when nobody is chatting.
    await runtime.alerts.flush(runtime.escalator.alert_sink(DurableOrchestrations(client)))


# A daily job missed during a restart runs when the app is back (the schedule monitor).
@bp.timer_trigger(schedule="%SECRET_ROTATION_SCHEDULE%", arg_name="timer", use_monitor=True)
@bp.durable_client_input(client_name="client")
async def secret_rotation(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    runtime = get_runtime()
    await run_secret_rotation(runtime.settings, runtime.config.failover.tiers, runtime.alerts)
    await runtime.alerts.flush(runtime.escalator.alert_sink(DurableOrchestrations(client)))
