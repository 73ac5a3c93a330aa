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


@pytest.fixture
def start_health_gateway(
    start_gateway: Callable[..., Gateway],  # noqa: F811 - the imported fixture
) -> Callable[..., Gateway]:
    """``start_gateway`` (timers indexed but off: run_timer() runs them) with a fresh health
    table."""

    def start(**options: Any) -> Gateway:
        extra = {"HEALTH_TABLE_NAME": "health" + uuid.uuid4().hex[:12], **options.pop("extra", {})}
        gateway = start_gateway(extra=extra, **options)
        assert "health_check" in gateway.host.host.index.timers, (
            "function_app.py must register orchestrators.timers.bp and api.health.bp"
        )
        return gateway

    return start
