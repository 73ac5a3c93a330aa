"""The Durable backend's payload limit on the dev host: a long conversation is trimmed to fit
and answered by a model, where it used to fail to start and get the emergency text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.integration.conftest import ADMIN_KEY, Gateway

pytestmark = pytest.mark.integration

WEBHOOKS = "/runtime/webhooks/durabletask"


def long_conversation(turns: int, chars: int) -> list[dict[str, str]]:
    history = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * chars}
        for i in range(turns)
    ]
    return [*history, {"role": "user", "content": "What is a smear test?"}]


def test_the_dev_host_refuses_an_input_over_the_schedulers_limit(
    start_gateway: Callable[..., Gateway],
) -> None:
    """As the extension answers the Durable Task Scheduler's refusal: a 500 with a JSON body."""
    gateway = start_gateway()
    response = requests.post(
        f"{gateway.url}{WEBHOOKS}/orchestrators/chat_orchestrator",
        json={"padding": "x" * (1024 * 1024 + 1)},
        headers={"x-functions-key": ADMIN_KEY},
        timeout=30.0,
    )
    assert response.status_code == 500
    assert "payload limit" in response.json()["ExceptionMessage"]


@pytest.mark.safety("H16")
def test_a_conversation_over_the_limit_is_trimmed_and_answered_by_a_model(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A 1.5 MB conversation (under the 2 MB body limit) is answered from tier 1 with
    ``failover.trimmed``; an ordinary one is not trimmed."""
    gateway = start_gateway()
    reply = gateway.post("/api/chat", {"messages": long_conversation(50, 30_000)})
    assert reply.status_code == 200, reply.text
    failover = reply.json()["failover"]
    assert (failover["tier"], failover["trimmed"]) == (1, True)
    short = gateway.post("/api/chat", {"messages": long_conversation(2, 10)})
    assert short.json()["failover"]["trimmed"] is False
