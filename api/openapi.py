"""``GET /api/openapi.json``: the API description kept in the repo beside this module.

FUNCTION level, not ANONYMOUS: the document maps the operator routes, and the only route
meant for unauthenticated callers is the liveness probe. The bot and operators hold a key.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import azure.functions as func

DOCUMENT = Path(__file__).with_name("openapi.json")

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@cache
def _document() -> bytes:
    # Read on first request, not at import, so indexing the app stays free of file I/O.
    return DOCUMENT.read_bytes()


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        body=_document(), status_code=200, mimetype="application/json", charset="utf-8"
    )
