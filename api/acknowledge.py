"""``/api/ack`` (anonymous; the signed token is the credential): acknowledge from the alert.

``GET /api/ack?token=...`` shows a confirmation page and changes nothing; its button posts the
token to ``POST /api/ack``, which acknowledges once. A browser (``Accept: text/html``) gets a
page; any other client (another region forwarding a nurse's acknowledgement, a script) gets
JSON: ``{"outcome", "escalation_id"}``, or the OpenAI error shape with the outcome as its
``code`` for a 4xx or 5xx.
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
from shared.platform import ApiError

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

_MAX_FORM_BYTES = 4096
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


def _json(page: AckPage) -> dict[str, object]:
    if page.status < 400:
        return {"outcome": page.outcome, "escalation_id": page.escalation_id}
    title, message = _TEXT[page.outcome]
    return ApiError(page.status, f"{title}. {message}", "token", page.outcome).to_body()


def _respond(req: func.HttpRequest, page: AckPage) -> func.HttpResponse:
    if "text/html" not in (req.headers.get("accept") or ""):
        return func.HttpResponse(
            json.dumps(_json(page)),
            status_code=page.status,
            mimetype="application/json",
            headers=_HEADERS,
        )
    return func.HttpResponse(
        render_page(page),
        status_code=page.status,
        mimetype="text/html",
        charset="utf-8",
        headers=_HEADERS,
    )


def _form_token(body: bytes) -> str:
    """The ``token`` field of a small form body; empty (so ``invalid``) for anything else."""
    if len(body) > _MAX_FORM_BYTES:
        return ""
    try:
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:
        return ""
    return (form.get("token") or [""])[0]


@bp.route(route="ack", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def ack_confirm(req: func.HttpRequest) -> func.HttpResponse:
    token = req.params.get("token") or ""
    return _respond(req, get_runtime().escalator.ack_confirmation(token))


@bp.route(route="ack", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def ack_submit(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    token = _form_token(req.get_body())
    page = await get_runtime().escalator.acknowledge_link(
        token, DurableOrchestrations(client), forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)
