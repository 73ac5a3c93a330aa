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
    "escalation_ack": ("escalations/{escalation_id}/ack", ["POST"], "ADMIN"),
    "breakers_list": ("breakers", ["GET"], "ADMIN"),
    "breaker_open": ("breakers/{provider}/open", ["POST"], "ADMIN"),
    "breaker_close": ("breakers/{provider}/close", ["POST"], "ADMIN"),
    "health": ("health", ["GET"], "FUNCTION"),
    "health_live": ("health/live", ["GET"], "ANONYMOUS"),
    "openapi_document": ("openapi.json", ["GET"], "FUNCTION"),
    "status_page": ("status", ["GET"], "ADMIN"),
    "status_json": ("status.json", ["GET"], "ADMIN"),
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


def test_only_liveness_is_anonymous() -> None:
    """The liveness probe is the one route that needs no key."""
    anonymous = [n for n, b in http_triggers().items() if b["authLevel"] == "ANONYMOUS"]
    assert anonymous == ["health_live"]


def test_operator_routes_need_the_admin_key() -> None:
    """Breaker and escalation routes are ADMIN."""
    for name, binding in http_triggers().items():
        route = str(binding["route"])
        if route.startswith(("breakers", "escalations")):
            assert binding["authLevel"] == "ADMIN", name


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


@pytest.mark.integration
@pytest.mark.parametrize(("route", "method"), [(r, m) for r, m, level in KEYED if level == "ADMIN"])
def test_function_key_does_not_open_admin_routes(gateway: Gateway, route: str, method: str) -> None:
    """The function key is not enough for an ADMIN route."""
    response = send(gateway, method, concrete(route), key=FUNCTION_KEY)
    assert response.status_code == 401


@pytest.mark.integration
def test_code_query_parameter_carries_the_function_key(gateway: Gateway) -> None:
    """The key may come in ?code= instead of the header, as in Azure."""
    response = send(gateway, "GET", f"/api/health?code={FUNCTION_KEY}", key=None)
    assert response.status_code == 200


@pytest.mark.integration
def test_code_query_parameter_carries_the_admin_key(gateway: Gateway) -> None:
    """An ADMIN route accepts the admin key in ?code=."""
    response = send(gateway, "GET", f"/api/breakers?code={ADMIN_KEY}", key=None)
    assert response.status_code == 200


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
