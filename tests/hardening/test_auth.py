"""Auth: the level of every HTTP route, from the function index, and the dev host enforcing it."""

from __future__ import annotations

import json
import re

import pytest

import function_app
from devhost.loader import registered_functions
from tests.hardening.client import send
from tests.integration.conftest import ADMIN_KEY, FUNCTION_KEY, Gateway

# function name -> (route, methods, authLevel): the whole HTTP surface, on purpose.
EXPECTED = {
    "chat": ("chat", ["POST"], "FUNCTION"),
    "chat_completions": ("v1/chat/completions", ["POST"], "FUNCTION"),
    "escalation_ack": ("escalations/{escalation_id}/ack", ["POST"], "ANONYMOUS"),
    "ack_confirm": ("ack", ["GET"], "ANONYMOUS"),
    "ack_submit": ("ack", ["POST"], "ANONYMOUS"),
    "ack_open_case": ("ack/case", ["POST"], "ANONYMOUS"),
    "ack_view_messages": ("ack/view", ["POST"], "ANONYMOUS"),
    "ack_outcome": ("ack/outcome", ["POST"], "ANONYMOUS"),
    "breakers_list": ("breakers", ["GET"], "ANONYMOUS"),
    "breaker_open": ("breakers/{provider}/open", ["POST"], "ANONYMOUS"),
    "breaker_close": ("breakers/{provider}/close", ["POST"], "ANONYMOUS"),
    "health": ("health", ["GET"], "FUNCTION"),
    "health_live": ("health/live", ["GET"], "ANONYMOUS"),
    "health_ready": ("health/ready", ["GET"], "ANONYMOUS"),
    "openapi_document": ("openapi.json", ["GET"], "FUNCTION"),
    "status_page": ("status", ["GET"], "ANONYMOUS"),
    "status_json": ("status.json", ["GET"], "ANONYMOUS"),
}
# Anonymous to the host, checked by the app's operator gate (Entra ID in Azure, the admin key
# in a header locally).
OPERATOR = {"escalation_ack", "breakers_list", "breaker_open", "breaker_close"} | {
    "status_page",
    "status_json",
}
# Anonymous by design: probes, and the signed acknowledgement link (the token is the credential).
OPEN = {
    "health_live",
    "health_ready",
    "ack_confirm",
    "ack_submit",
    "ack_open_case",
    "ack_view_messages",
    "ack_outcome",
}


def http_triggers() -> dict[str, dict[str, object]]:
    """Function name -> its httpTrigger binding, as the host is told."""
    found: dict[str, dict[str, object]] = {}
    for function in registered_functions(function_app.app):
        for raw in function.get_raw_bindings():
            binding = json.loads(raw)
            if binding["type"] == "httpTrigger":
                found[function.get_function_name()] = binding
    return found


def concrete(route: str) -> str:
    """A request path for a route template (each parameter filled with a plausible value)."""
    return "/api/" + re.sub(r"\{[^}]+\}", "openai", route)


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_route_has_its_auth_level(name: str, expected: tuple[str, list[str], str]) -> None:
    """Each HTTP function has its route, methods and auth level."""
    binding = http_triggers()[name]
    assert (binding["route"], binding["methods"], binding["authLevel"]) == expected


def test_every_http_route_is_accounted_for() -> None:
    """No HTTP route is registered that the table above does not pin down."""
    assert set(http_triggers()) == set(EXPECTED)


def test_only_probes_links_and_gated_operator_routes_are_anonymous() -> None:
    """Every anonymous route is a probe, the acknowledgement link, or an operator route."""
    anonymous = {n for n, b in http_triggers().items() if b["authLevel"] == "ANONYMOUS"}
    assert anonymous == OPEN | OPERATOR


def test_chat_routes_keep_the_function_key() -> None:
    """The bot's routes stay FUNCTION: the bot keeps its function key."""
    assert {n for n, b in http_triggers().items() if b["authLevel"] == "FUNCTION"} == {
        "chat",
        "chat_completions",
        "health",
        "openapi_document",
    }


KEYED = sorted(
    (str(b["route"]), str(b["methods"][0]), str(b["authLevel"]))  # type: ignore[index]
    for b in http_triggers().values()
    if b["authLevel"] != "ANONYMOUS"
)


@pytest.mark.integration
@pytest.mark.parametrize(("route", "method", "level"), KEYED)
def test_dev_host_refuses_a_request_without_a_key(
    gateway: Gateway, route: str, method: str, level: str
) -> None:
    """Every keyed route answers 401 in the error shape when no key is sent."""
    response = send(gateway, method, concrete(route), key=None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.integration
@pytest.mark.parametrize(("route", "method", "level"), KEYED)
def test_dev_host_refuses_a_wrong_key(
    gateway: Gateway, route: str, method: str, level: str
) -> None:
    """A key that is not one of the host's keys is refused."""
    response = send(gateway, method, concrete(route), key="not-a-real-key")
    assert response.status_code == 401


GATED = sorted(
    (str(b["route"]), str(b["methods"][0]))  # type: ignore[index]
    for n, b in http_triggers().items()
    if n in OPERATOR
)


@pytest.mark.integration
@pytest.mark.parametrize(("route", "method"), GATED)
@pytest.mark.parametrize("key", [None, "not-a-real-key", FUNCTION_KEY])
def test_operator_routes_refuse_anything_but_the_admin_key(
    gateway: Gateway, route: str, method: str, key: str | None
) -> None:
    """No key, a wrong key or the function key: 401 in the error shape from the operator gate."""
    response = send(gateway, method, concrete(route), key=key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.integration
@pytest.mark.parametrize(("route", "method"), GATED)
def test_operator_routes_refuse_a_key_in_the_url(gateway: Gateway, route: str, method: str) -> None:
    """The admin key in ?code= is refused (400), even though it is the right key."""
    response = send(gateway, method, f"{concrete(route)}?code={ADMIN_KEY}", key=None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "key_in_url"


@pytest.mark.integration
def test_code_query_parameter_carries_the_function_key(gateway: Gateway) -> None:
    """The key may come in ?code= instead of the header, as in Azure."""
    response = send(gateway, "GET", f"/api/health?code={FUNCTION_KEY}", key=None)
    assert response.status_code == 200


@pytest.mark.integration
def test_admin_key_in_a_header_opens_an_operator_route(gateway: Gateway) -> None:
    """Locally, the admin key in the x-functions-key header opens the operator routes."""
    assert send(gateway, "GET", "/api/breakers", key=ADMIN_KEY).status_code == 200


@pytest.mark.integration
def test_admin_key_opens_function_routes(gateway: Gateway) -> None:
    """The admin (master) key also grants FUNCTION routes."""
    assert send(gateway, "GET", "/api/health", key=ADMIN_KEY).status_code == 200


@pytest.mark.integration
def test_liveness_needs_no_key(gateway: Gateway) -> None:
    """GET /api/health/live answers without any key."""
    response = send(gateway, "GET", "/api/health/live", key=None)
    assert response.status_code == 200
    assert response.text == "ok"
