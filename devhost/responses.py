"""The host's own small JSON error responses (not the app's)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """``{"error": {"type", "message", "param", "code"}}`` with ``status``."""
    body = {
        "error": {
            "type": "invalid_request_error",
            "message": message,
            "param": None,
            "code": code,
        }
    }
    return web.json_response(body, status=status, headers=headers)


def not_found(message: str = "No function serves this route.") -> web.Response:
    """404 for an unknown route or function."""
    return error_response(404, "not_found", message)


def method_not_allowed(allowed: frozenset[str]) -> web.Response:
    """405 naming the methods the route does take."""
    allow = ", ".join(sorted(allowed))
    return error_response(
        405,
        "method_not_allowed",
        f"This route takes {allow}.",
        headers={"Allow": allow},
    )


def unauthorized() -> web.Response:
    """401 for a missing or wrong key."""
    return error_response(401, "unauthorized", "A valid function key is required.")
