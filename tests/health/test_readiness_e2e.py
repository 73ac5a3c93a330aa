"""``/api/health/ready`` on the dev host: Front Door's probe sees storage go down."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from devhost import azurite
from tests.health.conftest import Gateway
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
