"""``/api/ack`` (anonymous; the signed token is the credential): the nurse view behind the
alert's link.

The link carries the token in its fragment (``/api/ack#token=...``), which browsers never send
to a server, so it reaches neither Front Door's access log nor request telemetry. ``GET
/api/ack`` answers a small page whose script moves the token from the fragment into a form
(and removes it from the address bar); its button posts it to ``POST /api/ack/case``, which
shows the case (what the alert carries and how many turns the conversation had) and changes
nothing but the audit trail. ``GET /api/ack?token=...`` (links sent before the fragment) shows
the same case. The case page's forms post the token: ``POST /api/ack`` acknowledges once;
``POST /api/ack/outcome`` records what happened (and acknowledges); ``POST /api/ack/view``
shows the last turns' text, when the deployment has turned ``ESCALATION_SHOW_MESSAGES`` on.

Every ``POST`` refuses a body over 4 KB from its ``Content-Length`` before the body is
touched, and a cross-site request (``Sec-Fetch-Site`` or ``Origin``;
:mod:`shared.platform.origins`). Nothing here rides on ambient credentials (no cookie, no
session): a forged post would need the signed token itself. The pages are same-origin forms
(``form-action 'self'``) and cannot be framed (``frame-ancestors 'none'``). A browser
(``Accept: text/html``) gets a page; any other client (another region forwarding a nurse's
post, a script) gets JSON: ``{"outcome", "escalation_id"}``, or the OpenAI error shape with
the outcome as its ``code`` for a 4xx or 5xx.
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
from shared.escalation.acklinks import ACK_PATH
from shared.escalation.casefile import OUTCOMES, VIEW_TURNS, CaseFile
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
    "open": (
        "Crisis escalation",
        "Open the alert to see the case, acknowledge it and record what happened.",
    ),
    "confirm": (
        "Crisis escalation",
        "Acknowledge to tell the team that you have taken this case: the supervisor will then "
        "not be reminded about it. When you have acted, record what happened.",
    ),
    "messages": (
        "Crisis escalation: the last messages",
        "The last turns of the conversation are below. This view is recorded in the audit trail.",
    ),
    "recorded": (
        "Outcome recorded",
        "Thank you. The outcome is recorded, and the escalation is acknowledged if it was not "
        "already.",
    ),
    "bad_outcome": ("That outcome is not recognised", "Choose one of the outcomes offered."),
    "try_again": (
        "The escalation service is busy",
        "Nothing was changed. Try again in a minute; if it keeps failing, tell the operations "
        "team.",
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
    "border:0;border-radius:.3em;cursor:pointer}.muted{color:#666}form{margin:1em 0}"
    "th{text-align:left;padding-right:1em}.turn{border-left:3px solid #ccc;padding-left:.6em}"
)


_OUTCOME_LABELS = {
    "contacted": "Contacted the person",
    "could_not_contact": "Could not contact the person",
    "not_a_crisis": "Not a crisis",
    "handed_to_999": "Handed to 999 or emergency services",
}
_LIMITS = (
    "The gateway holds no contact details for the person: it can show only what the "
    "conversation says. It cannot call, message or reply to them."
)


def _form(action: str, token: str, button: str, fields: str = "") -> str:
    return (
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f"{fields}<button type=submit>{escape(button)}</button></form>"
    )


def _case_rows(case: CaseFile) -> str:
    rows = [
        ("Category", case.category.replace("_", " ") or "-"),
        ("Signals", ", ".join(case.signals) or "-"),
        ("Time (UTC)", case.created_at or "-"),
        ("Conversation", case.conversation_ref or "-"),
        ("Turns in the conversation", str(case.turns)),
    ]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _transcript(case: CaseFile) -> str:
    if not case.messages:
        return '<p class="muted">No message text is held for this escalation.</p>'
    turns = "".join(
        f'<div class="turn {t.role}"><b>{"Person" if t.role == "user" else "Ask Eve"}</b>'
        f"<p>{escape(t.text)}</p></div>"
        for t in case.messages
    )
    return f"<h2>Last {len(case.messages)} turns</h2>{turns}"


def _view(page: AckPage) -> str:
    """The case, the last turns when asked for and allowed, and the nurse's forms."""
    token = page.token or ""
    parts = (
        [_case_rows(page.case)]
        if page.case
        else [
            '<p class="muted">The details of this case are held in the region that raised it.</p>'
        ]
    )
    if page.outcome == "messages" and page.case:
        parts.append(_transcript(page.case))
    elif page.case is None:
        pass  # whether text may be shown is the other region's to say
    elif page.messages_enabled:
        parts.append(
            _form(f"{ACK_PATH}/view", token, f"Show the last {VIEW_TURNS} messages (audited)")
        )
    else:
        parts.append(
            '<p class="muted">Message text is not shown: this deployment has not turned it on.</p>'
        )
    parts.append(f'<p class="muted">{escape(_LIMITS)}</p>')
    parts.append(_form(ACK_PATH, token, "Acknowledge"))
    choices = "".join(
        f'<label><input type="radio" name="outcome" value="{o}" required> '
        f"{escape(_OUTCOME_LABELS[o])}</label><br>"
        for o in OUTCOMES
    )
    parts.append(
        "<h2>What happened</h2>" + _form(f"{ACK_PATH}/outcome", token, "Record outcome", choices)
    )
    return "".join(parts)


def render_page(page: AckPage) -> str:
    """The small page for an outcome; for the view, the case and the forms that post the token."""
    title, message = _TEXT[page.outcome]
    body = _view(page) if page.outcome in ("confirm", "messages") and page.token else ""
    if page.recorded:
        body = f"<p>Recorded: {escape(_OUTCOME_LABELS.get(page.recorded, page.recorded))}.</p>"
    reference = (
        f'<p class="muted">Escalation {escape(page.escalation_id)}</p>'
        if page.escalation_id
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>{body}{reference}</body></html>"
    )


def _json(page: AckPage) -> dict[str, object]:
    if page.status < 400:
        body: dict[str, object] = {"outcome": page.outcome, "escalation_id": page.escalation_id}
        if page.recorded:
            body["recorded"] = page.recorded
        if page.outcome in ("confirm", "messages"):
            # For the other region's view: the case, with text only on a messages view.
            body["case"] = None if page.case is None else page.case.to_json()
            body["messages_enabled"] = page.messages_enabled
        return body
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
    title, message = _TEXT["open"]
    missing_title, missing = _TEXT["invalid"]
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<div id="ack" hidden><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        f'<form method="post" action="{ACK_PATH}/case">'
        '<input type="hidden" id="token" name="token" value="">'
        "<button type=submit>Open the alert</button></form></div>"
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


def _form_field(body: bytes, name: str) -> str:
    """One field of a small form body; empty (so ``invalid``) for anything else."""
    if len(body) > _MAX_FORM_BYTES:
        return ""
    try:
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:
        return ""
    return (form.get(name) or [""])[0]


def _form_token(body: bytes) -> str:
    return _form_field(body, "token")


@bp.route(route="ack", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def ack_confirm(req: func.HttpRequest) -> func.HttpResponse:
    token = req.params.get("token") or ""
    if not token and "text/html" in (req.headers.get("accept") or ""):
        page, headers = fragment_page()
        return func.HttpResponse(
            page, status_code=200, mimetype="text/html", charset="utf-8", headers=headers
        )
    forwarded = bool(req.headers.get(FORWARDED_HEADER))
    return _respond(req, await get_runtime().escalator.nurse_view(token, forwarded=forwarded))


def _posted_form(req: func.HttpRequest) -> bytes | func.HttpResponse:
    """The form body of a POST, or the refusal: cross-site, or over 4 KB (read from
    ``Content-Length`` before the body is touched)."""
    if refusal := cross_site_refusal(req, get_runtime().operators.origins):
        return refusal
    body = bounded_body(req, _MAX_FORM_BYTES)
    if body is None:
        error = ApiError(413, "the form is larger than 4 KB", None, "body_too_large")
        return to_response(HttpReply(413, error.to_body(), {"Cache-Control": "no-store"}))
    return body


@bp.route(route="ack/case", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def ack_open_case(req: func.HttpRequest) -> func.HttpResponse:
    body = _posted_form(req)
    if isinstance(body, func.HttpResponse):
        return body
    page = await get_runtime().escalator.nurse_view(
        _form_token(body), forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)


@bp.route(route="ack/view", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def ack_view_messages(req: func.HttpRequest) -> func.HttpResponse:
    body = _posted_form(req)
    if isinstance(body, func.HttpResponse):
        return body
    page = await get_runtime().escalator.nurse_view(
        _form_token(body), messages=True, forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)


@bp.route(route="ack/outcome", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def ack_outcome(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    body = _posted_form(req)
    if isinstance(body, func.HttpResponse):
        return body
    page = await get_runtime().escalator.record_outcome(
        _form_field(body, "token"),
        _form_field(body, "outcome"),
        DurableOrchestrations(client),
        forwarded=bool(req.headers.get(FORWARDED_HEADER)),
    )
    return _respond(req, page)


@bp.route(route="ack", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def ack_submit(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    body = _posted_form(req)
    if isinstance(body, func.HttpResponse):
        return body
    token = _form_token(body)
    page = await get_runtime().escalator.acknowledge_link(
        token, DurableOrchestrations(client), forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)
