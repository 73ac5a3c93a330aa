"""Operator routes for the circuit breakers (anonymous to the host; the operator gate in
:mod:`shared.platform.operators` decides: Entra ID in Azure, the admin key header locally)."""

from __future__ import annotations

import azure.functions as func

from api.http import operator_refusal, to_response
from shared.bootstrap import get_runtime
from shared.breakers import list_breakers, operate_breaker
from shared.runtime import Runtime

bp = func.Blueprint()  # type: ignore[no-untyped-call]


def _tiers(runtime: Runtime) -> list[str]:
    return [tier.name for tier in runtime.config.failover.tiers]


@bp.route(route="breakers", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def breakers_list(req: func.HttpRequest) -> func.HttpResponse:
    runtime = get_runtime()
    if refusal := operator_refusal(req, runtime.operators):
        return refusal
    return to_response(await list_breakers(runtime.breakers, _tiers(runtime)))


@bp.route(route="breakers/{provider}/open", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def breaker_open(req: func.HttpRequest) -> func.HttpResponse:
    provider = req.route_params.get("provider", "")
    runtime = get_runtime()
    if refusal := operator_refusal(req, runtime.operators):
        return refusal
    return to_response(await operate_breaker(runtime.breakers, _tiers(runtime), provider, "open"))


@bp.route(route="breakers/{provider}/close", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def breaker_close(req: func.HttpRequest) -> func.HttpResponse:
    provider = req.route_params.get("provider", "")
    runtime = get_runtime()
    if refusal := operator_refusal(req, runtime.operators):
        return refusal
    return to_response(await operate_breaker(runtime.breakers, _tiers(runtime), provider, "close"))
