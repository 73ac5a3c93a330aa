"""``/api/ack`` (anonymous; the signed token is the credential): the nurse view behind the
alert's link.

``GET /api/ack?token=...`` shows the case (what the alert carries and how many turns the
conversation had) and changes nothing but the audit trail. Its forms post the token:
``POST /api/ack`` acknowledges once; ``POST /api/ack/outcome`` records what happened (and
acknowledges); ``POST /api/ack/view`` shows the last turns' text, when the deployment has
turned ``ESCALATION_SHOW_MESSAGES`` on. A browser (``Accept: text/html``) gets a page; any other
client (another region forwarding a nurse's post, a script) gets JSON: ``{"outcome",
"escalation_id"}``, or the OpenAI error shape with the outcome as its ``code`` for a 4xx or 5xx.

The forms need no CSRF token of their own: nothing here rides on ambient credentials (no
cookie, no session), so a forged cross-site post would need the signed token itself, and
whoever has it can post it anyway. The pages are same-origin forms (``form-action 'self'``)
and cannot be framed (``frame-ancestors 'none'``).
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
from shared.escalation.acklinks import ACK_PATH
from shared.escalation.casefile import OUTCOMES, VIEW_TURNS, CaseFile
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
    forwarded = bool(req.headers.get(FORWARDED_HEADER))
    return _respond(req, await get_runtime().escalator.nurse_view(token, forwarded=forwarded))


@bp.route(route="ack/view", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def ack_view_messages(req: func.HttpRequest) -> func.HttpResponse:
    token = _form_token(req.get_body())
    page = await get_runtime().escalator.nurse_view(
        token, messages=True, forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)


@bp.route(route="ack/outcome", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def ack_outcome(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    body = req.get_body()
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
    token = _form_token(req.get_body())
    page = await get_runtime().escalator.acknowledge_link(
        token, DurableOrchestrations(client), forwarded=bool(req.headers.get(FORWARDED_HEADER))
    )
    return _respond(req, page)
