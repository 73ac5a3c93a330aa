"""Fixtures for the observability tests.

The end-to-end tests reuse the dev-host fixtures of ``tests/integration`` (the real app with
Azurite, simulated providers and loopback alert receivers).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.observability import observer as observability
from shared.observability.observer import Observability
from tests.integration.conftest import (  # noqa: F401 - fixtures, registered by import
    Gateway,
    sims,
    smtp,
    start_gateway,
    webhook,
    write_config,
)
from tests.observability.capture import Captured


@pytest.fixture
def otel() -> Iterator[Captured]:
    """In-memory span, metric and log exporters."""
    captured = Captured()
    yield captured
    captured.shutdown()


def config_variant(directory: Path, *, crisis_response_s: float | None = None) -> Path:
    """A config directory like the integration tests', with SLA numbers changed."""
    directory.mkdir(parents=True, exist_ok=True)
    write_config(directory, tier_timeout_s=0.6, budget_s=4.0, open_s=30.0)
    if crisis_response_s is not None:
        path = directory / "safety-config.json"
        data = json.loads(path.read_text())
        data["sla"]["crisis_response_s"] = crisis_response_s
        path.write_text(json.dumps(data))
    return directory


@pytest.fixture
def observed_gateway(
    start_gateway: Callable[..., Gateway],  # noqa: F811 - the imported fixture, by name
) -> Callable[..., tuple[Gateway, Observability]]:
    """Start the gateway, then make sure observability is on its (test) breaker service."""

    def start(captured: Captured | None = None, **options: Any) -> tuple[Gateway, Observability]:
        # A table of its own, so one test's rows never show in another's status figures.
        table = {"AUDIT_TABLE_NAME": "audit" + uuid.uuid4().hex[:12]}
        options["extra"] = {**table, **options.get("extra", {})}
        if captured is None:
            gateway = start_gateway(**options)
            return gateway, gateway.runtime.observability
        with observability.providers(
            tracer_provider=captured.tracer_provider, meter_provider=captured.meter_provider
        ):
            gateway = start_gateway(**options)
            return gateway, gateway.runtime.observability

    return start
