"""Map core replies to Functions HTTP responses."""

from __future__ import annotations

import json

import azure.functions as func

from shared.platform import HttpReply, OperatorAccess
from shared.platform.origins import SameOrigin

# Browsers reach the app only over HTTPS from now on (a year, and every subdomain). App Service
# redirects HTTP already (``httpsOnly``); HSTS stops the first plain request being sent at all.
# Front Door sends the same header (``infra/``). Browsers ignore it over plain HTTP (dev host).
HSTS = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}

# Methods that change nothing; every other method on an operator route is checked for CSRF.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def to_response(reply: HttpReply) -> func.HttpResponse:
    return func.HttpResponse(
        body=json.dumps(reply.body, ensure_ascii=False),
        status_code=reply.status,
        headers={**HSTS, **reply.headers},
        mimetype="application/json",
        charset="utf-8",
    )


def operator_refusal(req: func.HttpRequest, operators: OperatorAccess) -> func.HttpResponse | None:
    """The response refusing a request to an operator route, or None to go ahead."""
    error = operators.check(req.headers, req.params)
    if error is None and req.method.upper() not in _SAFE_METHODS:
        error = operators.origins.check(req.headers)
    if error is None:
        return None
    return to_response(HttpReply(error.status, error.to_body(), {"Cache-Control": "no-store"}))


def cross_site_refusal(req: func.HttpRequest, origins: SameOrigin) -> func.HttpResponse | None:
    """The 403 refusing a cross-site request to a route that changes state, or None."""
    error = origins.check(req.headers)
    if error is None:
        return None
    return to_response(HttpReply(error.status, error.to_body(), {"Cache-Control": "no-store"}))


def bounded_body(req: func.HttpRequest, limit: int) -> bytes | None:
    """The body if it is at most ``limit`` bytes, else None. A ``Content-Length`` over the
    limit is refused before the body is touched. In Azure the Functions host has buffered the
    body before the worker sees the request, so a chunked body (no ``Content-Length``) is
    measured after the fact; the WAF's rules stop those at the edge (see ``infra/``)."""
    declared = (req.headers.get("content-length") or "").strip()
    if declared and (not declared.isdigit() or int(declared) > limit):
        return None
    body = req.get_body()
    return body if len(body) <= limit else None
