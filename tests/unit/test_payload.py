"""Trimming a conversation to the Durable backend's payload limit: oldest turns first."""

from __future__ import annotations

import json

from shared.failover.payload import MAX_INPUT_BYTES, surely_fits, trim_to_fit
from shared.models import ChatRequest, Message


def conversation(*roles: str, size: int = 100) -> ChatRequest:
    return ChatRequest(
        messages=tuple(Message(role, f"{i}:" + "a" * size) for i, role in enumerate(roles))
    )


def size_of(request: ChatRequest) -> int:
    return len(json.dumps([{"role": m.role, "content": m.content} for m in request.messages]))


def test_a_conversation_that_fits_is_untouched() -> None:
    """Under the limit nothing is dropped."""
    request = conversation("system", "user", "assistant", "user")
    assert trim_to_fit(request, size_of, limit=10_000) == (request, False)


def test_the_oldest_turns_go_first_until_it_fits() -> None:
    """Turns are dropped from the start of the conversation, and no more than needed."""
    request = conversation("user", "assistant", "user", "assistant", "user", size=1000)
    trimmed, changed = trim_to_fit(request, size_of, limit=3200)
    assert changed
    assert size_of(trimmed) <= 3200
    assert [m.content[:2] for m in trimmed.messages] == ["2:", "3:", "4:"]


def test_system_messages_and_the_last_user_turn_are_always_kept() -> None:
    """However tight the limit, the safety prompt and the question being asked stay."""
    request = conversation("system", "user", "assistant", "user", "assistant", "user", size=1000)
    trimmed, changed = trim_to_fit(request, size_of, limit=10)
    assert changed
    assert [m.role for m in trimmed.messages] == ["system", "user"]
    assert trimmed.messages[-1] == request.messages[-1]
    assert trimmed.messages[0] == request.messages[0]


def test_a_trimmed_conversation_never_opens_with_the_assistant() -> None:
    """Dropping a user turn that leaves the assistant first drops that reply too."""
    request = conversation("user", "assistant", "user", "assistant", "user", size=1000)
    trimmed, _ = trim_to_fit(request, size_of, limit=4100)
    first = next(m for m in trimmed.messages if m.role != "system")
    assert first.role == "user"


def test_the_cheap_bound_admits_ordinary_conversations() -> None:
    """A few short turns are known to fit without serialising them."""
    assert surely_fits(conversation("system", "user", "assistant", "user"))


def test_the_cheap_bound_refers_a_long_conversation_to_the_exact_check() -> None:
    """Near the limit (non-ASCII characters may take six bytes each) it does not guess."""
    request = conversation("user", size=MAX_INPUT_BYTES // 6)
    assert not surely_fits(request)
