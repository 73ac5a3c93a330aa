"""``/api/health/ready`` on the dev host: Front Door's probe sees storage go down."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from devhost import azurite
from devhost.durable_api import FAULT_SETTING
from tests.health.conftest import Gateway
from tests.integration.conftest import FUNCTION_KEY
from tests.support.clocks import ManualClock

pytestmark = pytest.mark.integration


@pytest.fixture
def own_azurite() -> Iterator[azurite.Azurite]:
    """An Azurite of this test's own, which the test stops."""
    service = azurite.start(azurite.free_port(), reuse=False)
    try:
        yield service
    finally:
        service.stop()


def ready(gateway: Gateway) -> requests.Response:
    return requests.get(f"{gateway.url}/api/health/ready", timeout=30.0)


def test_ready_is_anonymous_and_200_while_storage_is_up(
    start_health_gateway: Callable[..., Gateway], own_azurite: azurite.Azurite
) -> None:
    """With storage up, the probe (no key) gets 200 and both checks ok."""
    gateway = start_health_gateway(extra={"AzureWebJobsStorage": own_azurite.connection_string})
    response = ready(gateway)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "breaker_store": "ok", "durable": "ok"}


def test_ready_is_503_within_ten_seconds_of_azurite_stopping(
    start_health_gateway: Callable[..., Gateway], own_azurite: azurite.Azurite
) -> None:
    """Azurite stopped: the cached 200 lasts at most the cache time (<= 10 s), then 503."""
    gateway = start_health_gateway(extra={"AzureWebJobsStorage": own_azurite.connection_string})
    clock = ManualClock(1000.0)
    gateway.runtime.readiness.clock = clock
    assert gateway.runtime.readiness.ttl_s <= 10.0
    assert ready(gateway).status_code == 200
    own_azurite.stop()
    assert ready(gateway).status_code == 200  # still the cached answer
    clock.advance(gateway.runtime.readiness.ttl_s)
    response = ready(gateway)
    assert response.status_code == 503
    assert response.json()["breaker_store"] == "unreachable"


# --- the Durable backend failing (its HTTP API answers 500 with a JSON error body) ----------


@pytest.mark.safety("H03")
def test_ready_is_503_while_the_task_hub_cannot_be_read(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """The dev host's Durable API answers 500 as the extension does: the probe gets 503."""
    gateway = start_health_gateway(host_settings={FAULT_SETTING: "500"})
    response = ready(gateway)
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "breaker_store": "ok",
        "durable": "unreachable",
    }


def test_health_reports_the_durable_backend_unreachable(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """/api/health shows storage.durable unreachable, and the service degraded, not healthy."""
    gateway = start_health_gateway(host_settings={FAULT_SETTING: "500"})
    response = requests.get(
        f"{gateway.url}/api/health", headers={"x-functions-key": FUNCTION_KEY}, timeout=30.0
    )
    assert response.status_code == 200
    body = response.json()
    assert body["storage"]["durable"] == "unreachable"
    assert body["status"] != "healthy"


def test_health_reports_the_durable_backend_ok(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """With the task hub readable, /api/health shows storage.durable ok."""
    gateway = start_health_gateway()
    response = requests.get(
        f"{gateway.url}/api/health", headers={"x-functions-key": FUNCTION_KEY}, timeout=30.0
    )
    assert response.json()["storage"]["durable"] == "ok"
