"""One SDK client per event loop.

An SDK client's connection pool belongs to the loop it was first used on, so a client must never
be shared between loops. The Functions worker runs one loop for the life of the process, so in
production this holds a single client; tests run each test on its own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

ClientT = TypeVar("ClientT")


@dataclass(frozen=True, slots=True)
class Session(Generic[ClientT]):
    """A client and how to release it (its connections, and any credential it holds)."""

    client: ClientT
    close: Callable[[], Awaitable[None]]


class PerLoop(Generic[ClientT]):
    """Builds a :class:`Session` on first use in each running loop and reuses it there."""

    def __init__(self, build: Callable[[], Session[ClientT]]) -> None:
        self._build = build
        self._sessions: dict[asyncio.AbstractEventLoop, Session[ClientT]] = {}

    def get(self) -> ClientT:
        """The running loop's client, built on first use."""
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None:
            # A closed loop's client can never be used or closed again: let it go.
            for stale in [known for known in self._sessions if known.is_closed()]:
                del self._sessions[stale]
            session = self._sessions[loop] = self._build()
        return session.client

    async def aclose(self) -> None:
        """Close the running loop's client, if one was built."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()
