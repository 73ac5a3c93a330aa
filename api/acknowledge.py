"""``/api/ack`` (anonymous; the signed token is the credential): acknowledge from the alert.

``GET /api/ack?token=...`` shows a confirmation page and changes nothing; its button posts the
token to ``POST /api/ack``, which acknowledges once. A request that asks for JSON (another
region forwarding a nurse's acknowledgement) gets the outcome as JSON instead of the page.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import parse_qs

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from shared.bootstrap import get_runtime
from shared.escalation import FORWARDED_HEADER, AckPage

bp = df.Blueprint()

_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}

_TEXT: dict[str, tuple[str, str]] = {
    "confirm": (
        "Acknowledge this crisis escalation?",
        "Press the button to confirm that you have taken this case. The supervisor will not be "
        "reminded about it.",
    ),
    "acknowledged": (
        "Acknowledged",
        "Thank you. The escalation is marked as taken and the supervisor reminder is cancelled.",
    ),
    "already": ("Already acknowledged", "Someone has already acknowledged this escalation."),
    "finished": (
        "This escalation has ended",
        "It was already acknowledged, or the supervisor has been reminded about it. Nothing "
        "was changed.",
    ),
    "invalid": (
        "This link is not valid",
        "The link is incomplete or has been altered. Open it again from the alert.",
    ),
    "expired": (
        "This link has expired",
        "Acknowledge through the nurse team lead or the operations team.",
    ),
    "unknown": ("No such escalation", "The escalation this link names could not be found."),
    "unreachable": (
        "The escalation could not be reached",
        "The region that raised this escalation did not answer. Try again in a minute, or "
        "tell the operations team.",
    ),
    "unavailable": (
        "Acknowledging by link is not set up",
        "Acknowledge through the operations team.",
    ),
}

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:2em auto;max-width:34em;padding:0 1em;"
    "color:#1d1d1f}button{font:inherit;padding:.6em 1.4em;background:#1d4ed8;color:#fff;"
    "border:0;border-radius:.3em;cursor:pointer}.muted{color:#666}"
)


def render_page(page: AckPage) -> str:
    """The small page for an outcome; for ``confirm``, a form that posts the token."""
    title, message = _TEXT[page.outcome]
    form = ""
    if page.outcome == "confirm" and page.token:
        form = (
            '<form method="post" action="ack">'
            f'<input type="hidden" name="token" value="{escape(page.token)}">'
            "<button type=submit>Acknowledge</button></form>"
        )
    reference = (
        f'<p class="muted">Escalation {escape(page.escalation_id)}</p>'
        if page.escalation_id
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>{form}{reference}</body></html>"
    )


def _respond(req: func.HttpRequest, page: AckPage) -> func.HttpResponse:
    if "application/json" in (req.headers.get("accept") or ""):
        body = {"outcome": page.outcome, "escalation_id": page.escalation_id}
        return func.HttpResponse(
            json.dumps(body), status_code=page.status, mimetype="application/json", headers=_HEADERS
        )
    return func.HttpResponse(
        render_page(page),
        status_code=page.status,
        mimetype="text/html",
        charset="utf-8",
        headers=_HEADERS,
    )


@bp.route(route="ack", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def ack_confirm(req: func.HttpRequest) -> func.HttpResponse:
    token = req.params.get("token") or ""
    return _respond(req, get_runtime().escalator.ack_confirmation(token))


@bp.route(route="ack", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def ack_submit(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    form = parse_qs(req.get_body().decode("utf-8", "replace"), max_num_fields=4)
    token = (form.get("token") or [""])[0]
    page = await get_runtime().escalator.acknowledge_link(
        token, DurableOrchestrations(client), forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)
