"""Request checks that the real APIs make, so that a bad translation fails loudly in tests.

The Anthropic check is deliberately the strict, older rule set (first turn from the user, roles
alternating, no system role inside ``messages``): an adapter that passes it works either way.
"""

from __future__ import annotations

from typing import Any

_OPENAI_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


def openai_problem(body: dict[str, Any]) -> str | None:
    """Why a chat-completions body would be rejected, or None."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _OPENAI_ROLES:
            return f"messages[{index}].role is invalid"
        if not isinstance(message.get("content"), str):
            return f"messages[{index}].content must be a string"
    return None


def anthropic_problem(body: dict[str, Any]) -> str | None:
    """Why a messages body would be rejected, or None."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: field required"
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        return "max_tokens: field required"
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        return "system: must be a string or a list of text blocks"
    return _anthropic_turns_problem(body.get("messages"))


def _anthropic_turns_problem(messages: object) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    expected = "user"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in {"user", "assistant"}:
            return f"messages.{index}.role: must be 'user' or 'assistant'"
        if message["role"] != expected:
            return f"messages.{index}: roles must alternate, starting with 'user'"
        if not isinstance(message.get("content"), str | list) or not message["content"]:
            return f"messages.{index}.content: must not be empty"
        expected = "assistant" if expected == "user" else "user"
    return None
