"""``POST /api/escalations/{escalation_id}/ack``: a nurse has taken the case (ADMIN)."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from api.http import to_response
from shared.bootstrap import get_runtime

bp = df.Blueprint()


@bp.route(
    route="escalations/{escalation_id}/ack", methods=["POST"], auth_level=func.AuthLevel.ADMIN
)
@bp.durable_client_input(client_name="client")
async def escalation_ack(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    escalation_id = req.route_params.get("escalation_id", "")
    escalator = get_runtime().escalator
    return to_response(await escalator.acknowledge(escalation_id, DurableOrchestrations(client)))
