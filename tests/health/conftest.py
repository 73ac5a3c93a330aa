"""Fixtures for the health tests: the real app on the dev host, with its timers disabled
(they only run when a test asks) and a health table of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.conftest import (  # noqa: F401 - fixtures shared with these tests
    Gateway,
    sims,
    smtp,
    start_gateway,
    webhook,
)

# What every dev host serving function_app needs once the timers are registered: schedules
# for the %NAME% references, and the timers switched off so only run_timer() runs them.
TIMER_SETTINGS = {
    "HEALTH_CHECK_SCHEDULE": "0 */1 * * * *",
    "SECRET_ROTATION_SCHEDULE": "0 30 2 * * *",
    "AzureWebJobs.health_check.Disabled": "true",
    "AzureWebJobs.secret_rotation.Disabled": "true",
}


@pytest.fixture
def start_health_gateway(
    start_gateway: Callable[..., Gateway],  # noqa: F811 - the imported fixture
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Gateway]:
    """``start_gateway`` with the timer settings and a fresh health table."""
    for name, value in TIMER_SETTINGS.items():
        monkeypatch.setenv(name, value)

    def start(**options: Any) -> Gateway:
        extra = {"HEALTH_TABLE_NAME": "health" + uuid.uuid4().hex[:12], **options.pop("extra", {})}
        gateway = start_gateway(extra=extra, **options)
        assert "health_check" in gateway.host.host.index.timers, (
            "function_app.py must register orchestrators.timers.bp and api.health.bp"
        )
        return gateway

    return start
