"""The reviewed attacks, on the dev host: a cross-site breaker POST, a cross-site or oversized
acknowledgement POST (H03, H04)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.integration.conftest import ADMIN_KEY, Gateway
from tests.integration.test_ack_link_e2e import (
    BROWSER,
    escalation_state,
    raise_crisis,
    start_linked,
    token_of,
)

CROSS_SITE = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}


def breaker_state(gateway: Gateway, provider: str) -> str:
    listing = gateway.get("/api/breakers", key=ADMIN_KEY).json()["breakers"]
    return str(next(b["state"] for b in listing if b["provider"] == provider))


@pytest.mark.safety("H04")
def test_a_cross_site_post_cannot_force_a_breaker_open(
    start_gateway: Callable[..., Gateway],
) -> None:
    """The reviewed request (admin key and all, from another site) is 403; nothing opens."""
    gateway = start_gateway()
    response = requests.post(
        f"{gateway.url}/api/breakers/azure_openai/open",
        headers={"x-functions-key": ADMIN_KEY, **CROSS_SITE},
        timeout=30.0,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross_site"
    assert breaker_state(gateway, "azure_openai") == "closed"


@pytest.mark.safety("H04")
def test_a_same_origin_post_and_a_script_without_origin_still_work(
    start_gateway: Callable[..., Gateway],
) -> None:
    """The app's own page (Origin = its host) and a client sending no Origin both pass."""
    gateway = start_gateway()
    own = {"origin": gateway.url, "sec-fetch-site": "same-origin"}
    opened = requests.post(
        f"{gateway.url}/api/breakers/azure_openai/open",
        headers={"x-functions-key": ADMIN_KEY, **own},
        timeout=30.0,
    )
    assert opened.status_code == 200
    closed = gateway.post("/api/breakers/azure_openai/close", b"", key=ADMIN_KEY)
    assert closed.status_code == 200


@pytest.mark.safety("H03")
def test_a_cross_site_form_cannot_acknowledge(start_gateway: Callable[..., Gateway]) -> None:
    """A genuine token posted from another site is refused; the escalation keeps waiting."""
    gateway = start_linked(start_gateway)
    token = token_of(raise_crisis(gateway))
    posted = requests.post(
        f"{gateway.url}/api/ack",
        data={"token": token},
        headers={**BROWSER, **CROSS_SITE},
        timeout=30.0,
    )
    assert posted.status_code == 403
    assert escalation_state(gateway) == "Running"


@pytest.mark.safety("H03")
def test_an_acknowledgement_body_over_4_kb_is_413(start_gateway: Callable[..., Gateway]) -> None:
    """A form over 4 KB is refused as too large, and acknowledges nothing."""
    gateway = start_linked(start_gateway)
    token = token_of(raise_crisis(gateway))
    posted = requests.post(
        f"{gateway.url}/api/ack",
        data={"token": token, "pad": "x" * 5000},
        headers={"accept": "application/json"},
        timeout=30.0,
    )
    assert posted.status_code == 413
    assert escalation_state(gateway) == "Running"
