"""A broken crisis pattern file on the real app (dev host): crisis detection is reduced to the
built-in detector for explicit statements, never silenced (H14)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.platform import content_hash
from tests.integration.conftest import Gateway
from tests.integration.test_chat_e2e import wait_for

pytestmark = pytest.mark.integration


BROKEN = b'{"version": "broken'


def _broken_gateway(start_gateway: Callable[..., Gateway], tmp_path: Path) -> Gateway:
    """The app with its config directory's pattern file broken before any request reads it."""
    gateway = start_gateway()
    (tmp_path / "crisis-patterns.json").write_bytes(BROKEN)
    return gateway


def _cards(gateway: Gateway, path: str) -> list[str]:
    cards: list[Any] = [r.body for r in gateway.webhook.received if r.path == path]
    return [str(card) for card in cards]


@pytest.mark.safety("H14")
def test_an_explicit_crisis_still_gets_the_crisis_reply_and_an_escalation(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """An explicit statement is answered with the crisis reply and the nurse team is told."""
    gateway = _broken_gateway(start_gateway, tmp_path)
    data = gateway.chat("I want to kill myself", "conv-broken-patterns")
    assert data["failover"]["crisis"] is True
    assert data["failover"]["crisis_category"] == "self_harm"
    assert data["failover"]["escalated"] is True
    assert wait_for(lambda: bool(_cards(gateway, "/clinical")), timeout_s=30.0)


@pytest.mark.safety("H14")
def test_health_says_misconfigured_and_operations_are_alerted(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """/api/health reports misconfigured with the hash of the bytes it read, and a chat request
    raises the operations alert."""
    gateway = _broken_gateway(start_gateway, tmp_path)
    gateway.chat("What is a smear test?")
    response = gateway.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "misconfigured"
    assert response.json()["crisis_detection"]["detector"] == "built_in_explicit_only"
    assert response.json()["safety_files"]["crisis-patterns.json"] == content_hash(BROKEN)
    assert wait_for(
        lambda: any("Crisis patterns failed to load" in t for t in _cards(gateway, "/operations")),
        timeout_s=30.0,
    )
