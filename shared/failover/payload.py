"""Keeping a chat orchestration's input within what the Durable backend accepts.

The Durable Task Scheduler, the default backend, refuses a payload over 1 MB (see
infra/README.md, "Durable backend"), while the gateway accepts request bodies up to 2 MB, and
the SDK writes the input as JSON with non-ASCII characters escaped (up to six bytes each). A
long conversation would then fail to start and the person would get the emergency text.

The choice: **trim, not refuse.** A 413 would leave a frightened person without an answer
until the bot shortened the conversation itself; the oldest turns matter least to the next
answer. So the oldest turns are dropped, one at a time, keeping every system message and the
last user turn, until the input fits, and the answer says so (``failover.trimmed``). Crisis
detection has already read the whole request before this runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from shared.models import ChatRequest, Message

# Below the scheduler's 1 MB, leaving room for the envelope the extension adds around the input.
MAX_INPUT_BYTES = 900_000


def encoded_size(value: Any) -> int:
    """Bytes of ``value`` as the SDK writes it (JSON, non-ASCII escaped)."""
    return len(json.dumps(value))


def trim_to_fit(
    request: ChatRequest,
    size_of: Callable[[ChatRequest], int],
    limit: int = MAX_INPUT_BYTES,
) -> tuple[ChatRequest, bool]:
    """The request with its oldest turns dropped until ``size_of`` it is at most ``limit``,
    and whether anything was dropped. System messages and the last user turn are never
    dropped; if they alone are over the limit, that is what is returned (the start then fails
    and the emergency text answers, as before)."""
    size = size_of(request)
    if size <= limit:
        return request, False
    messages = list(request.messages)
    keep = _kept(messages)
    # Each message's own share of the size, measured once: dropping one removes about that
    # much (the separators are a few bytes, so the check below re-measures the result).
    shares = [encoded_size({"role": m.role, "content": m.content}) + 2 for m in messages]
    dropped: set[int] = set()
    for index in range(len(messages)):
        if size <= limit:
            break
        if index in keep:
            continue
        dropped.add(index)
        size -= shares[index]
    trimmed = replace(
        request,
        messages=tuple(m for i, m in enumerate(messages) if i not in dropped),
    )
    while _droppable(trimmed.messages) and (
        size_of(trimmed) > limit or _opens_with_assistant(trimmed.messages)
    ):
        # Still over (separators), or the conversation would now open with the assistant,
        # which some providers refuse: drop the oldest droppable turn.
        remaining = list(trimmed.messages)
        first = min(_droppable(remaining))
        trimmed = replace(trimmed, messages=tuple(remaining[:first] + remaining[first + 1 :]))
    return trimmed, True


def surely_fits(request: ChatRequest, limit: int = MAX_INPUT_BYTES) -> bool:
    """A cheap bound: even with every character escaped to six bytes, and a generous
    allowance for the plan around the messages, the input is under the limit."""
    characters = sum(len(m.content) + len(m.role) for m in request.messages)
    return characters * 6 + _PLAN_ALLOWANCE < limit


_PLAN_ALLOWANCE = 16_384


def _opens_with_assistant(messages: tuple[Message, ...]) -> bool:
    first = next((m for m in messages if m.role != "system"), None)
    return first is not None and first.role == "assistant"


def _kept(messages: list[Message]) -> set[int]:
    keep = {i for i, m in enumerate(messages) if m.role == "system"}
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if users:
        keep.add(users[-1])
    return keep


def _droppable(messages: tuple[Message, ...] | list[Message]) -> list[int]:
    keep = _kept(list(messages))
    return [i for i in range(len(messages)) if i not in keep]
