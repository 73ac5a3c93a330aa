"""The OpenAPI document kept in the repo, read as the tests need it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from api.openapi import DOCUMENT

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Security scheme name -> the Functions auth level it stands for.
SCHEME_LEVELS = {
    "functionKeyHeader": "FUNCTION",
    "functionKeyQuery": "FUNCTION",
    # Operator routes are anonymous to the Functions host; the app's operator gate checks these.
    "operatorKeyHeader": "ANONYMOUS",
    "operatorSignIn": "ANONYMOUS",
}


@dataclass(frozen=True, slots=True)
class DocumentedRoute:
    """One operation: its route (below the prefix), method and required auth level."""

    route: str
    method: str
    auth_level: str


def load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document


def auth_level(security: list[dict[str, list[str]]]) -> str:
    """The auth level an operation's security requirement stands for."""
    if not security:
        return "ANONYMOUS"
    levels = {SCHEME_LEVELS[name] for requirement in security for name in requirement}
    if len(levels) != 1:
        raise ValueError(f"security {security!r} mixes auth levels")
    return levels.pop()


def routes(document: dict[str, Any]) -> Iterator[DocumentedRoute]:
    default = document.get("security", [])
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is not None:
                level = auth_level(operation.get("security", default))
                yield DocumentedRoute(path.lstrip("/"), method.upper(), level)
