"""The chat endpoints: ``POST /api/chat`` and ``POST /api/v1/chat/completions``."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from api.http import to_response
from shared.bootstrap import get_runtime

bp = df.Blueprint()


async def _handle(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    runtime = get_runtime()
    with runtime.observability.chat_span():
        reply = await runtime.gateway.handle(
            req.get_body(),
            req.headers.get("content-type"),
            DurableOrchestrations(client),
            headers=req.headers,
        )
    return to_response(reply)


@bp.route(route="chat", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.durable_client_input(client_name="client")
async def chat(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await _handle(req, client)


@bp.route(route="v1/chat/completions", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.durable_client_input(client_name="client")
async def chat_completions(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _handle(req, client)
