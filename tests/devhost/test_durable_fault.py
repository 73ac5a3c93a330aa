"""The dev host's Durable backend fault switch: its HTTP API answers 500 with the extension's
JSON error body, as the extension does when it cannot read the task hub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devhost.background import RunningDevHost, running_devhost
from devhost.durable_api import FAULT_SETTING, BackendFault
from tests.devhost.conftest import SYSTEM_KEY, TOY_APP, TOY_SETTINGS
from tests.devhost.http_client import call

pytestmark = pytest.mark.integration


def _webhooks(host: RunningDevHost, path: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{host.base_url}/runtime/webhooks/durabletask/{path}{separator}code={SYSTEM_KEY}"


@pytest.fixture
def failing_host() -> Iterator[RunningDevHost]:
    """The toy app with the fault switch on from the start (the setting)."""
    with running_devhost(TOY_APP, settings={**TOY_SETTINGS, FAULT_SETTING: "500"}) as host:
        yield host


def test_the_setting_fails_every_route_with_a_json_500(failing_host: RunningDevHost) -> None:
    """DEVHOST_DURABLE_FAULT=500: start and status answer 500 with Message and ExceptionMessage."""
    for method, path in (("POST", "orchestrators/sleeper"), ("GET", "instances/nobody")):
        reply = call(method, _webhooks(failing_host, path), json_body=1)
        assert reply.status == 500
        assert set(reply.json()) >= {"Message", "ExceptionMessage", "ExceptionType"}


def test_the_control_route_turns_the_fault_off_and_on(failing_host: RunningDevHost) -> None:
    """DELETE _devhost/fault restores the API (404 for an unknown instance); PUT fails it again."""
    switch = _webhooks(failing_host, "_devhost/fault")
    assert call("GET", switch).json() == {"status": 500}
    call("DELETE", switch)
    assert call("GET", _webhooks(failing_host, "instances/nobody")).status == 404
    assert call("PUT", switch, json_body={"status": 503}).json() == {"status": 503}
    assert call("GET", _webhooks(failing_host, "instances/nobody")).status == 503


def test_a_fault_that_is_not_5xx_is_refused() -> None:
    """The switch takes a 5xx status only; anything else is a clear error at start."""
    assert BackendFault.from_settings({}).status is None
    assert BackendFault.from_settings({FAULT_SETTING: "500"}).status == 500
    with pytest.raises(ValueError, match=FAULT_SETTING):
        BackendFault.from_settings({FAULT_SETTING: "404"})
