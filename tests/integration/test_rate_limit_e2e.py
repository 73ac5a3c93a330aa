"""Per-IP limits on the dev host: the address comes only from Front Door's own headers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.conftest import Gateway
from tests.integration.test_crisis_e2e import SELF_HARM

pytestmark = pytest.mark.integration

FDID = "6f1c0b1e-8a3c-4f9e-9d7a-2b5e1c3d4a5f"
QUESTION = {"messages": [{"role": "user", "content": "What is a smear test?"}]}
LIMITS = {
    "per_conversation": {"rate_per_s": 100.0, "burst": 100},
    "per_ip": {"rate_per_s": 0.001, "burst": 2},
}


def through_front_door(client: str, forwarded_for: str) -> dict[str, str]:
    return {"x-azure-fdid": FDID, "x-azure-socketip": client, "x-forwarded-for": forwarded_for}


@pytest.mark.safety("H09")
def test_forged_forwarded_for_does_not_change_the_bucket(
    start_gateway: Callable[..., Gateway],
) -> None:
    """One client sending a new X-Forwarded-For each time still spends one bucket."""
    gateway = start_gateway(rate_limits=LIMITS, extra={"FRONT_DOOR_ID": FDID})
    statuses = [
        gateway.post(
            "/api/chat", QUESTION, headers=through_front_door("203.0.113.7", forged)
        ).status_code
        for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3")
    ]
    assert statuses == [200, 200, 429]
    other = gateway.post("/api/chat", QUESTION, headers=through_front_door("203.0.113.8", "x"))
    assert other.status_code == 200


@pytest.mark.safety("H09")
def test_front_door_headers_without_the_profile_id_are_not_trusted(
    start_gateway: Callable[..., Gateway],
) -> None:
    """X-Azure-SocketIP from a caller that is not this Front Door profile makes no bucket."""
    gateway = start_gateway(rate_limits=LIMITS, extra={"FRONT_DOOR_ID": FDID})
    headers = {"x-azure-fdid": "someone-else", "x-azure-socketip": "203.0.113.7"}
    statuses = [gateway.post("/api/chat", QUESTION, headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


@pytest.mark.safety("H09")
def test_crisis_message_is_answered_after_its_client_is_limited(
    start_gateway: Callable[..., Gateway],
) -> None:
    """A client whose bucket is empty still gets the crisis reply."""
    gateway = start_gateway(rate_limits=LIMITS, extra={"FRONT_DOOR_ID": FDID})
    headers = through_front_door("203.0.113.9", "")
    for _ in range(2):
        gateway.post("/api/chat", QUESTION, headers=headers)
    assert gateway.post("/api/chat", QUESTION, headers=headers).status_code == 429
    crisis = {"messages": [{"role": "user", "content": SELF_HARM}]}
    reply = gateway.post("/api/chat", crisis, headers=headers)
    assert reply.status_code == 200
    assert reply.json()["failover"]["crisis"] is True


@pytest.mark.safety("H09")
def test_a_forged_client_ip_header_does_not_change_the_bucket(
    start_gateway: Callable[..., Gateway],
) -> None:
    """One connection sending a new X-Azure-ClientIP each time still spends one bucket."""
    gateway = start_gateway(rate_limits=LIMITS, extra={"FRONT_DOOR_ID": FDID})
    statuses = [
        gateway.post(
            "/api/chat",
            QUESTION,
            headers={**through_front_door("203.0.113.10", ""), "x-azure-clientip": forged},
        ).status_code
        for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3")
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.safety("H09")
def test_the_bot_backend_has_no_per_ip_bucket(start_gateway: Callable[..., Gateway]) -> None:
    """Messages of many conversations from the bot's egress address are never refused for
    its address; another address still is."""
    gateway = start_gateway(
        rate_limits=LIMITS,
        extra={"FRONT_DOOR_ID": FDID, "BOT_BACKEND_ADDRESSES": "198.51.100.0/29"},
    )
    bot = through_front_door("198.51.100.3", "")
    statuses = [
        gateway.post(
            "/api/chat",
            {**QUESTION, "metadata": {"conversation_id": f"bot-{i}"}},
            headers=bot,
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200] * 5
    other = through_front_door("203.0.113.11", "")
    assert [gateway.post("/api/chat", QUESTION, headers=other).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
