"""``GET /api/health`` (function key): the service's health; ``GET /api/health/live``
(anonymous): liveness, touching nothing but this worker's event loop; ``GET /api/health/ready``
(anonymous): readiness for Front Door's probe, 503 while the breaker store or the Durable
backend is down (cached for 5 s)."""

from __future__ import annotations

import asyncio

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from api.http import to_response
from shared.bootstrap import get_runtime
from shared.operations import DetectorState, health_report
from shared.platform import loaded_safety_hashes
from shared.safety import detection_state

bp = df.Blueprint()


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
@bp.durable_client_input(client_name="client")
async def health(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    runtime = get_runtime()
    ready = await runtime.readiness.check(DurableOrchestrations(client))
    detectors = await asyncio.to_thread(runtime.gateway.detector_states)
    reply = await health_report(
        runtime.config.failover.tiers,
        runtime.providers,
        runtime.settings,
        runtime.breakers,
        runtime.health_results,
        residency_blocked=runtime.residency_block,
        crisis_detection=detection_state(runtime.detector),
        safety_files=loaded_safety_hashes(runtime.settings.config_dir or None),
        unreached_audiences=runtime.escalator.missing_audiences(),
        content_safety=runtime.gateway.second_opinion_state(),
        clinical_content=runtime.gateway.clinical_content_state(),
        durable=str(ready.body["durable"]),
        triage=runtime.gateway.triage_state(),
        detectors=[DetectorState(**row) for row in detectors],
    )
    return to_response(reply)


@bp.route(route="health/live", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health_live(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok", status_code=200, mimetype="text/plain")


@bp.route(route="health/ready", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def health_ready(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return to_response(await get_runtime().readiness.check(DurableOrchestrations(client)))
