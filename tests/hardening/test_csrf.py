"""Cross-site requests to routes that change state are refused (CSRF): the reviewed case was a
``POST /api/breakers/azure_openai/open`` from another site, answered 200 (H04: patients moved
onto the emergency text by a page an operator visited)."""

from __future__ import annotations

import azure.functions as func
import pytest

from api.http import bounded_body, cross_site_refusal, operator_refusal
from shared.platform import OperatorAccess, Settings
from shared.platform.origins import SameOrigin
from tests.support.signin import OPERATORS_GROUP, principal

APP_HOST = "askeve-uksouth.azurewebsites.net"
FRONT_DOOR = "https://askeve-abc123.z01.azurefd.net"
SIGNED_IN = {"x-ms-client-principal": principal(OPERATORS_GROUP), "host": APP_HOST}
GATE = OperatorAccess(
    group_id=OPERATORS_GROUP, platform_auth=True, origins=SameOrigin.of([FRONT_DOOR])
)


def request(method: str, headers: dict[str, str], body: bytes = b"") -> func.HttpRequest:
    return func.HttpRequest(
        method=method,
        url=f"https://{APP_HOST}/api/breakers/azure_openai/open",
        headers=headers,
        params={},
        body=body,
    )


def refused(method: str, **extra: str) -> int | None:
    """The status of the refusal of an operator request, None when it goes ahead."""
    headers = {**SIGNED_IN, **{k.replace("_", "-"): v for k, v in extra.items()}}
    response = operator_refusal(request(method, headers), GATE)
    return None if response is None else response.status_code


@pytest.mark.safety("H04")
def test_the_reviewed_cross_site_breaker_post_is_refused() -> None:
    """A signed-in operator's browser posting from another site gets 403."""
    assert refused("POST", origin="https://evil.example", sec_fetch_site="cross-site") == 403


@pytest.mark.safety("H04")
@pytest.mark.parametrize("site", ["cross-site", "same-site", "none"])
def test_sec_fetch_site_other_than_same_origin_is_refused(site: str) -> None:
    """``Sec-Fetch-Site`` alone decides when present."""
    assert refused("POST", sec_fetch_site=site) == 403


@pytest.mark.safety("H04")
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "https://azurefd.net"])
def test_an_origin_that_is_not_the_service_is_refused(origin: str) -> None:
    """``Origin`` alone decides when present: another host, or an opaque origin."""
    assert refused("POST", origin=origin) == 403


@pytest.mark.safety("H04")
def test_the_apps_own_host_and_front_door_are_same_origin() -> None:
    """A post from the app's own page, reached directly or through Front Door, goes ahead."""
    assert refused("POST", origin=f"https://{APP_HOST}", sec_fetch_site="same-origin") is None
    assert refused("POST", origin=FRONT_DOOR, sec_fetch_site="same-origin") is None


@pytest.mark.safety("H04")
def test_a_non_browser_client_with_a_bearer_token_and_no_origin_still_works() -> None:
    """No ``Origin`` and no ``Sec-Fetch-Site``: a script (App Service turned its bearer token
    into the principal header) is let in."""
    assert refused("POST", authorization="Bearer eyJ.token.sig") is None


@pytest.mark.safety("H04")
def test_reading_routes_are_not_checked() -> None:
    """A GET changes nothing, so following a link to the status page from elsewhere works."""
    assert refused("GET", origin="https://evil.example", sec_fetch_site="cross-site") is None


@pytest.mark.safety("H04")
def test_the_gate_itself_still_decides_first() -> None:
    """A same-origin post without sign-in is still refused by the operator gate."""
    headers = {"origin": f"https://{APP_HOST}", "host": APP_HOST}
    response = operator_refusal(request("POST", headers), GATE)
    assert response is not None
    assert response.status_code == 403


@pytest.mark.safety("H04")
def test_the_service_learns_its_addresses_from_its_settings() -> None:
    """``ACK_BASE_URL`` (Front Door), ``ACK_REGION_URLS``, ``WEBSITE_HOSTNAME`` and
    ``ALLOWED_ORIGINS`` are all the service's own."""
    origins = SameOrigin.from_settings(
        Settings(
            env={
                "ACK_BASE_URL": FRONT_DOOR + "/",
                "ACK_REGION_URLS": "uksouth=https://a.example,ukwest=https://b.example:8443",
                "WEBSITE_HOSTNAME": APP_HOST,
                "ALLOWED_ORIGINS": "https://eve.example.org",
            }
        )
    )
    assert origins.hosts == {
        "askeve-abc123.z01.azurefd.net",
        "a.example",
        "b.example:8443",
        APP_HOST,
        "eve.example.org",
    }
    assert OperatorAccess.from_settings(Settings(env={"WEBSITE_HOSTNAME": APP_HOST})).origins == (
        SameOrigin.of([APP_HOST])
    )


@pytest.mark.safety("H03")
def test_the_acknowledgement_post_refuses_a_cross_site_form() -> None:
    """A page elsewhere cannot post a leaked token through a nurse's browser."""
    refusal = cross_site_refusal(
        request("POST", {"origin": "https://evil.example", "host": APP_HOST}), GATE.origins
    )
    assert refusal is not None
    assert refusal.status_code == 403


class UnreadBody(func.HttpRequest):
    """A request whose body must not be read."""

    def get_body(self) -> bytes:
        raise AssertionError("the body was read")


@pytest.mark.safety("H03")
def test_a_declared_body_over_the_limit_is_refused_before_it_is_read() -> None:
    """``Content-Length`` over the limit: refused without touching the body."""
    req = UnreadBody(
        method="POST", url="https://x/api/ack", headers={"content-length": "20971520"}, body=b""
    )
    assert bounded_body(req, 4096) is None


@pytest.mark.safety("H03")
def test_an_undeclared_body_over_the_limit_is_refused() -> None:
    """A chunked body (no ``Content-Length``) is measured and refused past the limit."""
    assert bounded_body(request("POST", {}, b"t" * 4097), 4096) is None
    assert bounded_body(request("POST", {}, b"token=x"), 4096) == b"token=x"
