"""Conversations in the Durable task hub: never read back by a poll, purged once answered, and
stopped and purged at the budget.

Written against the ``start_gateway`` fixture only, so the same tests run under any dev host
topology the fixture provides.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from shared.platform.ports import CHAT_ORCHESTRATION
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import ADMIN_KEY, Gateway

pytestmark = pytest.mark.integration

WEBHOOKS = "/runtime/webhooks/durabletask"
PROVIDERS = ("openai", "azure_openai", "anthropic")
# Generous: the background purge needs a few milliseconds once an answer has been read.
PURGE_WAIT_S = 15.0


def wait_for(condition: Callable[[], bool], timeout_s: float = PURGE_WAIT_S) -> bool:
    """Poll for something the host does in the background (not a wait for time to pass)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _admin_get(gateway: Gateway, path: str) -> Any:
    response = requests.get(
        f"{gateway.url}{WEBHOOKS}/{path}", headers={"x-functions-key": ADMIN_KEY}, timeout=30.0
    )
    response.raise_for_status()
    return response.json()


def everything_in_the_task_hub(gateway: Gateway) -> str:
    """Every instance with its input, output and full history, as one text."""
    listed = _admin_get(gateway, "instances?showInput=true")
    full = [
        _admin_get(
            gateway,
            f"instances/{item['instanceId']}?showInput=true&showHistory=true"
            "&showHistoryOutput=true",
        )
        for item in listed
    ]
    return json.dumps(full)


def status_reads(gateway: Gateway) -> dict[str, int]:
    reads: dict[str, int] = _admin_get(gateway, "_devhost/status-reads")
    return reads


@pytest.mark.safety("H10")
def test_no_status_poll_in_the_chat_path_receives_the_input(
    start_gateway: Callable[..., Gateway],
) -> None:
    """The trigger's polls ask for the status without the input, and get none."""
    gateway = start_gateway()
    before = status_reads(gateway)
    for _ in range(5):
        answer = gateway.chat(f"What is a smear test? {uuid.uuid4().hex}")
        assert answer["failover"]["provider"] == "openai"
    after = status_reads(gateway)
    assert after["total"] - before["total"] >= 5, "the chats were answered by polling"
    assert after["withInput"] == before["withInput"]


@pytest.mark.safety("H10")
def test_answered_chats_leave_no_marker_in_the_task_hub(
    start_gateway: Callable[..., Gateway],
) -> None:
    """After 50 answered chats and the background purge, no instance holds any of their text."""
    gateway = start_gateway()
    markers = [f"marker-{uuid.uuid4().hex}" for _ in range(50)]

    def ask(marker: str) -> dict[str, Any]:
        return gateway.chat(f"What are the symptoms of ovarian cancer? {marker}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, markers))
    assert all(a["failover"]["provider"] == "openai" for a in answers)
    assert wait_for(lambda: not gateway.instances(CHAT_ORCHESTRATION))
    hub = everything_in_the_task_hub(gateway)
    assert not [m for m in markers if m in hub]


@pytest.mark.safety("H10")
def test_a_chat_past_the_budget_is_terminated_and_purged(
    start_gateway: Callable[..., Gateway],
) -> None:
    """Every tier hangs: the emergency answer comes at the budget, the instance is gone within
    the purge wait, and no provider is called after the answer.

    Which side ends it depends on timing: the orchestration stops at its own deadline
    (0.3 s before the budget) and is purged once read, or, if it is late, the trigger
    terminates it at the budget and purges it once stopped (the order is pinned in
    tests/unit/test_gateway.py). A call already under way when the answer goes out cannot be
    cancelled (Durable never cancels a running activity), so tier 1 may be counted once; no
    call starts afterwards."""
    gateway = start_gateway(tier_timeout_s=4.0, budget_s=2.0)
    for provider in PROVIDERS:
        gateway.sims.set_fault(provider, Fault(kind=FaultKind.HANG))
    marker = f"marker-{uuid.uuid4().hex}"
    answer = gateway.chat(f"Is bloating a sign of ovarian cancer? {marker}")
    answered = time.monotonic()
    at_answer = {p: gateway.sims.count(p) for p in PROVIDERS}
    assert answer["failover"]["provider"] == "emergency"
    assert wait_for(lambda: not gateway.instances(CHAT_ORCHESTRATION))
    assert marker not in everything_in_the_task_hub(gateway)
    # Tier 1's activity gives up at its first-token time (4 s) at the latest; a live
    # orchestration would then call tier 2 at once. Wait until that moment has passed.
    wait_for(lambda: time.monotonic() >= answered + 4.0 + 1.5, timeout_s=6.0)
    later = {p: gateway.sims.count(p) for p in PROVIDERS}
    assert at_answer["openai"] <= 1
    assert later["openai"] <= 1
    assert (later["azure_openai"], later["anthropic"]) == (0, 0)
