"""The function index: the Durable and timer functions the Functions host will be told about."""

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


# The HTTP routes, their methods and auth levels are pinned in tests/hardening/test_auth.py.


def test_chat_routes_get_the_durable_client() -> None:
    """The chat and acknowledgement routes take the durable client binding."""
    for name in ("chat", "chat_completions", "escalation_ack"):
        assert {"direction": "IN", "type": "durableClient", "name": "client"} in index()[name]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("chat_orchestrator", "orchestrationTrigger"),
        ("escalation_orchestrator", "orchestrationTrigger"),
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
        ("task_hub_retention", "%TASK_HUB_PURGE_SCHEDULE%"),
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


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("operations_alert", "ops-alerts"),
        ("records_outbox", "records-outbox"),
        ("escalation_fallback", "escalation-fallback"),
        ("escalation_fallback_poison", "escalation-fallback-poison"),
    ],
)
def test_queue_triggers_read_the_apps_storage_queues(name: str, queue: str) -> None:
    """The alert, outbox and escalation fallback queue triggers read their queues in
    AzureWebJobsStorage."""
    binding = trigger(name)
    assert binding["type"] == "queueTrigger"
    assert (binding["queueName"], binding["connection"]) == (queue, "AzureWebJobsStorage")


def test_the_alert_queue_trigger_can_start_escalations() -> None:
    """operations_alert gets the durable client, to start the operations escalation."""
    assert any(b["type"] == "durableClient" for b in index()["operations_alert"])
