"""Map core replies to Functions HTTP responses."""

from __future__ import annotations

import json

import azure.functions as func

from shared.platform import HttpReply


def to_response(reply: HttpReply) -> func.HttpResponse:
    return func.HttpResponse(
        body=json.dumps(reply.body, ensure_ascii=False),
        status_code=reply.status,
        headers=reply.headers,
        mimetype="application/json",
        charset="utf-8",
    )
