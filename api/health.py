"""``GET /api/health`` (function key): the service's health; ``GET /api/health/live``
(anonymous): liveness for load balancers, touching nothing but this worker's event loop."""

from __future__ import annotations

import azure.functions as func

from api.http import to_response
from shared.bootstrap import get_runtime
from shared.operations import health_report

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    runtime = get_runtime()
    reply = await health_report(
        runtime.config.failover.tiers,
        runtime.providers,
        runtime.settings,
        runtime.breakers,
        runtime.health_results,
        residency_blocked=runtime.residency_block,
        content_safety=runtime.gateway.second_opinion_state(),
    )
    return to_response(reply)


@bp.route(route="health/live", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health_live(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok", status_code=200, mimetype="text/plain")
