"""Translation keeps the whole conversation, in order, in each SDK's shape."""

from __future__ import annotations

from shared.models import Message, ProviderRequest
from shared.providers.translate import (
    OPENING_USER_TURN,
    anthropic_prompt,
    openai_messages,
)


def request(*messages: Message, system_prompt: str = "SAFE") -> ProviderRequest:
    return ProviderRequest(system_prompt=system_prompt, messages=messages, timeout_s=1.0)


def user(text: str) -> Message:
    return Message("user", text)


def assistant(text: str) -> Message:
    return Message("assistant", text)


def system(text: str) -> Message:
    return Message("system", text)


def test_openai_puts_safety_prompt_first() -> None:
    """The safety prompt is the first message, as a system message."""
    assert openai_messages(request(user("hi")))[0] == {"role": "system", "content": "SAFE"}


def test_openai_keeps_every_turn_in_place() -> None:
    """Client turns, system ones included, follow in their original order."""
    turns = (user("u1"), system("s1"), assistant("a1"), user("u2"), user("u3"))
    assert openai_messages(request(*turns))[1:] == [
        {"role": m.role, "content": m.content} for m in turns
    ]


def test_openai_without_safety_prompt_sends_only_the_turns() -> None:
    """An empty safety prompt adds no empty system message."""
    assert openai_messages(request(user("u1"), system_prompt="")) == [
        {"role": "user", "content": "u1"}
    ]


def test_anthropic_system_is_safety_prompt_then_client_system_messages() -> None:
    """Client system messages follow the safety prompt, in order, separated by a blank line."""
    prompt = anthropic_prompt(request(system("s1"), user("u1"), system("s2")))
    assert prompt.system == "SAFE\n\ns1\n\ns2"


def test_anthropic_system_is_safety_prompt_alone_without_client_system() -> None:
    """Without client system messages, ``system`` is exactly the safety prompt."""
    assert anthropic_prompt(request(user("u1"))).system == "SAFE"


def test_anthropic_turns_keep_order() -> None:
    """Alternating turns pass through unchanged."""
    turns = (user("u1"), assistant("a1"), user("u2"))
    assert anthropic_prompt(request(*turns)).messages == turns


def test_anthropic_merges_consecutive_same_role_turns() -> None:
    """Consecutive turns of one role become one, joined with a blank line."""
    prompt = anthropic_prompt(request(user("u1"), user("u2"), assistant("a1"), assistant("a2")))
    assert prompt.messages == (user("u1\n\nu2"), assistant("a1\n\na2"))


def test_anthropic_merges_across_a_removed_system_message() -> None:
    """Turns either side of a client system message merge once it moves to ``system``."""
    prompt = anthropic_prompt(request(user("u1"), system("s1"), user("u2")))
    assert prompt.messages == (user("u1\n\nu2"),)


def test_anthropic_puts_neutral_user_turn_before_opening_assistant_turn() -> None:
    """A conversation that opens with the assistant gets a neutral user turn first."""
    prompt = anthropic_prompt(request(assistant("Hello"), user("u1")))
    assert prompt.messages == (user(OPENING_USER_TURN), assistant("Hello"), user("u1"))


def test_anthropic_loses_no_text() -> None:
    """Every turn's text is present in ``system`` or ``messages``, in the original order."""
    turns = (assistant("a0"), user("u1"), system("s1"), user("u2"), assistant("a1"), user("u3"))
    prompt = anthropic_prompt(request(*turns))
    sent = "\n\n".join(m.content for m in prompt.messages)
    order = [sent.index(t.content) for t in turns if t.role != "system"]
    assert order == sorted(order)
    assert "s1" in prompt.system


def test_anthropic_messages_json_is_role_and_content() -> None:
    """The wire form is a list of role/content objects."""
    assert anthropic_prompt(request(user("u1"))).messages_json() == [
        {"role": "user", "content": "u1"}
    ]
