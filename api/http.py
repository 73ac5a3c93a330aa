"""Map core replies to Functions HTTP responses."""

from __future__ import annotations

import json

import azure.functions as func

from shared.platform import HttpReply, OperatorAccess


def to_response(reply: HttpReply) -> func.HttpResponse:
    return func.HttpResponse(
        body=json.dumps(reply.body, ensure_ascii=False),
        status_code=reply.status,
        headers=reply.headers,
        mimetype="application/json",
        charset="utf-8",
    )


def operator_refusal(req: func.HttpRequest, operators: OperatorAccess) -> func.HttpResponse | None:
    """The response refusing a request to an operator route, or None to go ahead."""
    error = operators.check(req.headers, req.params)
    if error is None:
        return None
    return to_response(HttpReply(error.status, error.to_body(), {"Cache-Control": "no-store"}))
