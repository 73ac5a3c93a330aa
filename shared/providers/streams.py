"""Reading a streamed answer within its three deadlines.

Every adapter streams, so a working provider is never cut off for writing at its normal speed
and a dead one is noticed at its first-token deadline::

    start ──first_token_s──> first content ──stall_s──> next content ──stall_s──> ... final event
    └──────────────────────────────── total_s ───────────────────────────────────────┘

Opening the stream (the SDK awaits the response headers) counts against the first-token time.
Events that carry no content (Azure's prompt-filter results, a role-only first chunk, usage)
never move a deadline on. A missed deadline is ``timeout``; a stream that ends without its
final event is the assembler's business (``unavailable``). Whatever was assembled before a
deadline or an error is dropped with the assembler: a partial answer never leaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from shared.models import Outcome, ProviderRequest, ProviderResult


class EventStream(Protocol):
    """The part of an SDK's async stream this module uses (openai's and anthropic's
    ``AsyncStream`` both have it)."""

    def __anext__(self) -> Awaitable[Any]: ...

    async def close(self) -> None: ...


class StreamAnswer(Protocol):
    """Assembles one SDK's stream events into a result."""

    def add(self, event: Any) -> bool:
        """Take one event; True when it carried new content."""
        ...

    def result(self) -> ProviderResult:
        """The answer, once the stream has ended by itself."""
        ...


async def read_stream(
    open_stream: Callable[[], Awaitable[EventStream]],
    answer: StreamAnswer,
    request: ProviderRequest,
) -> ProviderResult:
    """Open the stream and feed its events to ``answer`` until the stream ends, within the
    request's first-token, stall and total times (from now, on the event loop's clock)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    end = started + request.timeout_s
    due, waiting_for = started + request.first_token_limit_s, "first token"

    def missed() -> ProviderResult:
        what = waiting_for if due <= end else "total"
        return ProviderResult(Outcome.TIMEOUT, detail=f"stream deadline: {what}")

    deadline = asyncio.timeout_at(min(due, end))
    try:
        async with deadline:
            stream = await open_stream()
    except TimeoutError:
        if not deadline.expired():
            raise
        return missed()
    try:
        while True:
            deadline = asyncio.timeout_at(min(due, end))
            try:
                async with deadline:
                    event = await stream.__anext__()
            except StopAsyncIteration:
                break
            except TimeoutError:
                if not deadline.expired():
                    raise
                return missed()
            if answer.add(event):
                due, waiting_for = loop.time() + request.stall_limit_s, "stall"
    finally:
        # Releases the connection whether the stream ended, stalled or broke.
        await stream.close()
    return answer.result()
