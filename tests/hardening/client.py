"""Raw HTTP to the gateway on the dev host, for requests the openai SDK would never send."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from tests.integration.conftest import FUNCTION_KEY, Gateway


def send(
    gateway: Gateway,
    method: str,
    path: str,
    *,
    key: str | None = FUNCTION_KEY,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """``method path`` with ``key`` in the ``x-functions-key`` header (none when ``None``)."""
    sent = {"x-functions-key": key} if key else {}
    return requests.request(
        method,
        f"{gateway.url}{path}",
        data=body,
        headers={**sent, **(headers or {})},
        timeout=30.0,
    )
