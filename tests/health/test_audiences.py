"""Every alert audience has a channel, or the service says so: ``/api/health``, the log at
start and the status page."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from shared.escalation.model import load_escalation_config, missing_audiences
from tests.health.conftest import Gateway
from tests.integration.conftest import ADMIN_KEY

CONFIG = load_escalation_config()
# Outside simulation, with the operations audience's channels unset.
NO_OPERATIONS = {
    "ASKEVE_SIMULATED_PROVIDERS": "",
    "OPS_TEAMS_WEBHOOK_URL": "",
    "OPS_ALERT_EMAIL_TO": "",
}


def settings(**values: str) -> Callable[[str], str]:
    return lambda name: values.get(name, "")


def test_an_audience_with_a_webhook_is_reached() -> None:
    """A Teams webhook alone reaches an audience."""
    found = missing_audiences(
        CONFIG,
        settings(
            TEAMS_WEBHOOK_URL="https://hook/1",
            SUPERVISOR_TEAMS_WEBHOOK_URL="https://hook/2",
            OPS_TEAMS_WEBHOOK_URL="https://hook/3",
        ),
    )
    assert found == []


def test_recipients_without_an_smtp_host_do_not_reach_anyone() -> None:
    """Email recipients count only with an SMTP host."""
    found = missing_audiences(
        CONFIG,
        settings(ALERT_EMAIL_TO="a@x", SUPERVISOR_EMAIL_TO="b@x", OPS_ALERT_EMAIL_TO="c@x"),
    )
    assert found == ["clinical", "supervisor", "operations"]


def test_email_alone_reaches_an_audience() -> None:
    """SMTP with recipients reaches an audience that has no webhook."""
    found = missing_audiences(
        CONFIG, settings(SMTP_HOST="smtp", ALERT_EMAIL_TO="a@x", OPS_TEAMS_WEBHOOK_URL="h")
    )
    assert found == ["supervisor"]


@pytest.mark.safety("H11")
@pytest.mark.integration
def test_health_is_misconfigured_when_an_audience_has_no_channel(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """Outside simulation, an audience with no channel makes /api/health ``misconfigured``."""
    gateway = start_health_gateway(extra=NO_OPERATIONS)
    body = gateway.get("/api/health").json()
    assert body["status"] == "misconfigured"
    assert body["alerts"] == {"unreached_audiences": ["operations"]}


@pytest.mark.integration
def test_health_is_not_misconfigured_in_simulation(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """In simulation the local inbox stands in, so a missing audience is not reported."""
    gateway = start_health_gateway(extra={"OPS_TEAMS_WEBHOOK_URL": "", "OPS_ALERT_EMAIL_TO": ""})
    body = gateway.get("/api/health").json()
    assert body["status"] == "healthy"
    assert body["alerts"] == {"unreached_audiences": []}


@pytest.mark.safety("H11")
@pytest.mark.integration
def test_one_critical_line_at_start(
    start_health_gateway: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    """Building the runtime logs the missing audience once, at critical level."""
    with caplog.at_level(logging.CRITICAL, logger="shared.bootstrap"):
        start_health_gateway(extra=NO_OPERATIONS)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(lines) == 1
    assert "operations" in lines[0]


@pytest.mark.safety("H11")
@pytest.mark.integration
def test_status_page_shows_the_missing_audience(
    start_health_gateway: Callable[..., Gateway],
) -> None:
    """The status page says which audience no alert reaches."""
    gateway = start_health_gateway(extra=NO_OPERATIONS)
    page = gateway.get("/api/status", key=ADMIN_KEY)
    assert page.status_code == 200
    assert "no alert channel for the operations audience" in page.text
