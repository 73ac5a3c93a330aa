"""``/api/ack`` (anonymous; the signed token is the credential): acknowledge from the alert.

The link carries the token in its fragment (``/api/ack#token=...``), which browsers never send
to a server, so it reaches neither Front Door's access log nor request telemetry.
``GET /api/ack`` answers a small page whose script moves the token from the fragment into the
form (and removes it from the address bar); its button posts it to ``POST /api/ack``, which
acknowledges once. ``GET /api/ack?token=...`` (links sent before the fragment) still shows the
confirmation page and changes nothing.

``POST`` refuses a body over 4 KB from its ``Content-Length`` before the body is touched, and
a cross-site request (``Sec-Fetch-Site`` or ``Origin``; :mod:`shared.platform.origins`).
A browser (``Accept: text/html``) gets a page; any other client (another region forwarding a
nurse's acknowledgement, a script) gets JSON: ``{"outcome", "escalation_id"}``, or the
OpenAI error shape with the outcome as its ``code`` for a 4xx or 5xx.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from urllib.parse import parse_qs

import azure.durable_functions as df
import azure.functions as func

from api.durable import DurableOrchestrations
from api.http import HSTS, bounded_body, cross_site_refusal, to_response
from shared.bootstrap import get_runtime
from shared.escalation import FORWARDED_HEADER, AckPage
from shared.platform import ApiError, HttpReply

bp = df.Blueprint()

_HEADERS = {
    **HSTS,
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


# Moves the token from the fragment into the form, then drops it from the address bar (and
# so from history). Allowed by its hash in the page's Content-Security-Policy, nothing else.
_FRAGMENT_SCRIPT = (
    "(function(){var m=/(?:^#|&)token=([^&]*)/.exec(location.hash),"
    "f=document.getElementById('token');if(m&&f&&m[1]){f.value=decodeURIComponent(m[1]);"
    "document.getElementById('ack').hidden=false;"
    "history.replaceState(null,'',location.pathname+location.search);}"
    "else{document.getElementById('missing').hidden=false;}})();"
)
_FRAGMENT_SCRIPT_HASH = base64.b64encode(
    hashlib.sha256(_FRAGMENT_SCRIPT.encode()).digest()
).decode()


def fragment_page() -> tuple[str, dict[str, str]]:
    """The page a link opens: the token stays in the fragment until the form posts it.
    Without script the page says the link cannot be used here (it changes nothing)."""
    title, message = _TEXT["confirm"]
    missing_title, missing = _TEXT["invalid"]
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<div id="ack" hidden><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        '<form method="post" action="ack"><input type="hidden" id="token" name="token" value="">'
        "<button type=submit>Acknowledge</button></form></div>"
        f'<div id="missing" hidden><h1>{escape(missing_title)}</h1><p>{escape(missing)}</p></div>'
        "<noscript><p>This page needs JavaScript to read the link. Acknowledge through the "
        "operations team.</p></noscript>"
        f"<script>{_FRAGMENT_SCRIPT}</script></body></html>"
    )
    headers = {
        **_HEADERS,
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'sha256-{_FRAGMENT_SCRIPT_HASH}'; "
            "style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'"
        ),
    }
    return page, headers


def _form_token(body: bytes) -> str:
    """The ``token`` field of a small form body; empty (so ``invalid``) for anything else."""
    try:
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:
        return ""
    return (form.get("token") or [""])[0]


@bp.route(route="ack", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def ack_confirm(req: func.HttpRequest) -> func.HttpResponse:
    token = req.params.get("token") or ""
    if not token and "text/html" in (req.headers.get("accept") or ""):
        page, headers = fragment_page()
        return func.HttpResponse(
            page, status_code=200, mimetype="text/html", charset="utf-8", headers=headers
        )
    return _respond(req, get_runtime().escalator.ack_confirmation(token))


@bp.route(route="ack", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def ack_submit(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    runtime = get_runtime()
    if refusal := cross_site_refusal(req, runtime.operators.origins):
        return refusal
    body = bounded_body(req, _MAX_FORM_BYTES)
    if body is None:
        error = ApiError(413, "the form is larger than 4 KB", None, "body_too_large")
        return to_response(HttpReply(413, error.to_body(), {"Cache-Control": "no-store"}))
    token = _form_token(body)
    page = await runtime.escalator.acknowledge_link(
        token, DurableOrchestrations(client), forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)
