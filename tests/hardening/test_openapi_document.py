"""The OpenAPI document kept in the repo: valid, complete, and served as it is."""

from __future__ import annotations

import json

import pytest
import schemathesis

import function_app
from api.openapi import DOCUMENT
from devhost.auth import AuthLevel
from devhost.loader import registered_functions
from tests.hardening import openapi_doc
from tests.hardening.openapi_doc import DocumentedRoute
from tests.integration.conftest import ADMIN_KEY, Gateway


def registered_routes() -> set[DocumentedRoute]:
    """Every (route, method, auth level) the app registers, from its function index."""
    routes: set[DocumentedRoute] = set()
    for function in registered_functions(function_app.app):
        for raw in function.get_raw_bindings():
            binding = json.loads(raw)
            if binding["type"] != "httpTrigger":
                continue
            methods = binding.get("methods")
            assert methods, f"{function.get_function_name()} takes every method"
            level = AuthLevel.parse(binding.get("authLevel")).value
            routes.update(DocumentedRoute(binding["route"], m.upper(), level) for m in methods)
    return routes


def test_document_is_valid_openapi_3_1() -> None:
    """The document validates against the OpenAPI 3.1 schema."""
    document = openapi_doc.load()
    assert document["openapi"].startswith("3.1.")
    schemathesis.openapi.from_dict(document).validate()


def test_document_matches_the_registered_routes_exactly() -> None:
    """Every registered HTTP route is documented with its methods and auth level, and no more."""
    documented = set(openapi_doc.routes(openapi_doc.load()))
    registered = registered_routes()
    assert sorted(registered - documented, key=str) == [], "registered but not documented"
    assert sorted(documented - registered, key=str) == [], "documented but not registered"


def test_server_url_is_the_route_prefix() -> None:
    """Paths are relative to the host.json route prefix, which is the single server URL."""
    host = json.loads((DOCUMENT.parent.parent / "host.json").read_text(encoding="utf-8"))
    prefix = host["extensions"]["http"]["routePrefix"]
    assert openapi_doc.load()["servers"] == [
        {"url": f"/{prefix}", "description": "The Functions route prefix (host.json)."}
    ]


def test_every_error_response_uses_the_error_shape() -> None:
    """Each documented 4xx or 5xx response is the OpenAI error shape (the readiness probe's 503
    is its report, for Front Door, not an error)."""
    document = openapi_doc.load()
    shared = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or (path, status) == ("/health/ready", "503"):
                    continue
                resolved = (
                    shared[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
                )
                schema = resolved["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)


@pytest.mark.integration
def test_document_is_served_unchanged(gateway: Gateway) -> None:
    """GET /api/openapi.json returns the repo's document as JSON."""
    response = gateway.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.content == DOCUMENT.read_bytes()


@pytest.mark.integration
def test_document_needs_a_key(gateway: Gateway) -> None:
    """The document is not anonymous: it maps the operator routes."""
    assert gateway.get("/api/openapi.json", key=None).status_code == 401
    assert gateway.get("/api/openapi.json", key=ADMIN_KEY).status_code == 200
