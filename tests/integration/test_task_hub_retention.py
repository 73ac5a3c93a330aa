"""The task hub retention timer on the dev host: old finished chat instances go, escalations
keep their own, longer retention."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from shared.platform.ports import CHAT_ORCHESTRATION, ESCALATION_ORCHESTRATION
from tests.integration.conftest import ADMIN_KEY, Gateway

pytestmark = pytest.mark.integration

WEBHOOKS = "/runtime/webhooks/durabletask"


def _start(gateway: Gateway, name: str) -> str:
    """Start an instance with an input it cannot use, so it fails at once (a finished one)."""
    response = requests.post(
        f"{gateway.url}{WEBHOOKS}/orchestrators/{name}",
        json={"not": "a valid input"},
        headers={"x-functions-key": ADMIN_KEY},
        timeout=30.0,
    )
    assert response.status_code == 202, response.text
    instance_id: str = response.json()["id"]
    return instance_id


def _ids(gateway: Gateway, name: str, status: str | None = None) -> set[str]:
    instances: list[dict[str, Any]] = gateway.instances(name)
    return {i["instanceId"] for i in instances if status is None or i["runtimeStatus"] == status}


def _wait_failed(gateway: Gateway, name: str, instance_id: str) -> None:
    deadline = time.monotonic() + 15.0
    while instance_id not in _ids(gateway, name, "Failed"):
        assert time.monotonic() < deadline, f"{name} did not finish"
        time.sleep(0.05)


@pytest.mark.safety("H10")
def test_the_timer_purges_old_chat_instances_and_keeps_recent_escalations(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Past the chat retention, finished chat instances go; an escalation within its own stays."""
    gateway = start_gateway(
        extra={
            "CHAT_INSTANCE_RETENTION_MINUTES": "0.001",
            "ESCALATION_INSTANCE_RETENTION_HOURS": "2",
        }
    )
    chat = _start(gateway, CHAT_ORCHESTRATION)
    escalation = _start(gateway, ESCALATION_ORCHESTRATION)
    _wait_failed(gateway, CHAT_ORCHESTRATION, chat)
    _wait_failed(gateway, ESCALATION_ORCHESTRATION, escalation)
    time.sleep(0.1)  # the chat instance must be older than its 60 ms retention
    gateway.host.run_timer("task_hub_retention")
    assert chat not in _ids(gateway, CHAT_ORCHESTRATION)
    assert escalation in _ids(gateway, ESCALATION_ORCHESTRATION)


@pytest.mark.safety("H10")
def test_the_timer_purges_escalations_past_their_own_retention(
    start_gateway: Callable[..., Gateway],
) -> None:
    """An escalation instance goes once it is older than its retention."""
    gateway = start_gateway(extra={"ESCALATION_INSTANCE_RETENTION_HOURS": "0.00002"})
    escalation = _start(gateway, ESCALATION_ORCHESTRATION)
    _wait_failed(gateway, ESCALATION_ORCHESTRATION, escalation)
    time.sleep(0.1)  # older than its 72 ms retention
    gateway.host.run_timer("task_hub_retention")
    assert escalation not in _ids(gateway, ESCALATION_ORCHESTRATION)


@pytest.mark.safety("H10")
def test_the_purge_reads_every_page_of_the_list(start_gateway: Callable[..., Gateway]) -> None:
    """With two instances a page, five old chat instances are all purged: the purge follows
    the continuation tokens to the last page (stopping after the first would leave three)."""
    gateway = start_gateway(
        extra={"CHAT_INSTANCE_RETENTION_MINUTES": "0.001", "TASK_HUB_LIST_PAGE_SIZE": "2"}
    )
    chats = [_start(gateway, CHAT_ORCHESTRATION) for _ in range(5)]
    for chat in chats:
        _wait_failed(gateway, CHAT_ORCHESTRATION, chat)
    time.sleep(0.1)  # older than their 60 ms retention
    gateway.host.run_timer("task_hub_retention")
    assert _ids(gateway, CHAT_ORCHESTRATION) & set(chats) == set()
