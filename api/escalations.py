"""``POST /api/escalations/{escalation_id}/ack``: an operator records that a nurse has taken
the case. The operator gate decides who may; nurses use the signed link in the alert
(``api/acknowledge.py``)."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from api.http import operator_refusal, to_response
from shared.bootstrap import get_runtime

bp = df.Blueprint()


@bp.route(
    route="escalations/{escalation_id}/ack",
    methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)
@bp.durable_client_input(client_name="client")
async def escalation_ack(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    runtime = get_runtime()
    if refusal := operator_refusal(req, runtime.operators):
        return refusal
    escalation_id = req.route_params.get("escalation_id", "")
    reply = await runtime.escalator.acknowledge(escalation_id, DurableOrchestrations(client))
    return to_response(reply)
