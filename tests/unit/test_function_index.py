"""The function index: exactly what the Functions host will be told about this app."""

from __future__ import annotations

import json
from typing import Any

import pytest

import function_app
from devhost.loader import registered_functions


def index() -> dict[str, list[dict[str, Any]]]:
    return {
        f.get_function_name(): [json.loads(b) for b in f.get_raw_bindings()]
        for f in registered_functions(function_app.app)
    }


def trigger(name: str) -> dict[str, Any]:
    return next(b for b in index()[name] if b["type"].endswith("Trigger"))


HTTP_ROUTES = {
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


@pytest.mark.parametrize(("name", "expected"), HTTP_ROUTES.items())
def test_http_routes_methods_and_auth_levels(
    name: str, expected: tuple[str, list[str], str]
) -> None:
    """Each HTTP function has its route, methods and auth level."""
    binding = trigger(name)
    assert binding["type"] == "httpTrigger"
    assert (binding["route"], binding["methods"], binding["authLevel"]) == expected


def test_no_http_route_is_anonymous_by_accident() -> None:
    """Every HTTP route is listed above, so none slips in with a weaker auth level."""
    http = {n for n in index() if trigger(n)["type"] == "httpTrigger"}
    assert http == set(HTTP_ROUTES)


def test_chat_routes_get_the_durable_client() -> None:
    """The chat and acknowledgement routes take the durable client binding."""
    for name in ("chat", "chat_completions", "escalation_ack"):
        assert {"direction": "IN", "type": "durableClient", "name": "client"} in index()[name]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("chat_orchestrator", "orchestrationTrigger"),
        ("escalation_orchestrator", "orchestrationTrigger"),
        ("breaker_snapshot", "activityTrigger"),
        ("call_provider", "activityTrigger"),
        ("deliver_escalation", "activityTrigger"),
        ("audit_escalation", "activityTrigger"),
    ],
)
def test_durable_functions_are_registered(name: str, kind: str) -> None:
    """Orchestrators and activities are registered under the names the code calls."""
    assert trigger(name)["type"] == kind


@pytest.mark.parametrize(
    ("name", "schedule"),
    [
        ("health_check", "%HEALTH_CHECK_SCHEDULE%"),
        ("secret_rotation", "%SECRET_ROTATION_SCHEDULE%"),
        ("audit_retention", "%AUDIT_RETENTION_SCHEDULE%"),
    ],
)
def test_timers_run_on_schedules_from_app_settings(name: str, schedule: str) -> None:
    """The timer jobs take their NCRONTAB schedules from app settings."""
    binding = trigger(name)
    assert binding["type"] == "timerTrigger"
    assert binding["schedule"] == schedule


def test_secret_rotation_can_raise_alerts() -> None:
    """The rotation timer gets the durable client, so it can start alert escalations."""
    assert any(b["type"] == "durableClient" for b in index()["secret_rotation"])
