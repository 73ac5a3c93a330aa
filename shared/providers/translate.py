"""Faithful translation of the whole conversation into each SDK's message format.

Every tier receives the same conversation: no turn is dropped or reordered. The safety system
prompt always comes first. OpenAI-style APIs take system messages inline, so client system
messages stay where they are. Anthropic takes one ``system`` string and strictly alternating
user/assistant turns, so client system messages are appended to the safety prompt, consecutive
turns of one role are merged, and a conversation that opens with the assistant gets a short
neutral user turn in front.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.models import Message, ProviderRequest

# Stands in for the user's side when a conversation opens with an assistant turn (for example
# the bot's greeting), which Anthropic rejects; neutral so that it cannot steer the answer.
OPENING_USER_TURN = "(The conversation starts with the assistant's message below.)"
TURN_SEPARATOR = "\n\n"


def openai_messages(request: ProviderRequest) -> list[dict[str, str]]:
    """Chat-completions ``messages``: the safety prompt, then every turn in order."""
    head = [{"role": "system", "content": request.system_prompt}] if request.system_prompt else []
    return head + [{"role": m.role, "content": m.content} for m in request.messages]


@dataclass(frozen=True, slots=True)
class AnthropicPrompt:
    """The ``system`` and ``messages`` arguments of an Anthropic Messages call."""

    system: str
    messages: tuple[Message, ...]

    def messages_json(self) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in self.messages]


def anthropic_prompt(request: ProviderRequest) -> AnthropicPrompt:
    """Anthropic ``system`` and alternating turns for ``request``."""
    system_parts = [request.system_prompt] if request.system_prompt else []
    system_parts += [m.content for m in request.messages if m.role == "system"]
    turns: list[Message] = []
    for message in request.messages:
        if message.role == "system":
            continue
        if turns and turns[-1].role == message.role:
            merged = turns[-1].content + TURN_SEPARATOR + message.content
            turns[-1] = Message(role=message.role, content=merged)
        else:
            turns.append(message)
    if turns and turns[0].role == "assistant":
        turns.insert(0, Message(role="user", content=OPENING_USER_TURN))
    return AnthropicPrompt(system=TURN_SEPARATOR.join(system_parts), messages=tuple(turns))
