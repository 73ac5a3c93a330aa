"""One client per event loop: reused within a loop, never shared across loops."""

from __future__ import annotations

import asyncio

from shared.providers.loops import PerLoop, Session


class Client:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


def per_loop() -> PerLoop[Client]:
    def build() -> Session[Client]:
        client = Client()
        return Session(client, client.close)

    return PerLoop(build)


async def test_reuses_the_client_within_a_loop() -> None:
    """Two uses on one loop get the same client."""
    clients = per_loop()
    assert clients.get() is clients.get()


def test_builds_a_new_client_per_loop() -> None:
    """Each loop gets its own client."""
    clients = per_loop()

    async def use() -> Client:
        return clients.get()

    assert asyncio.run(use()) is not asyncio.run(use())


async def test_aclose_closes_and_forgets_the_loops_client() -> None:
    """aclose closes this loop's client; the next use builds a fresh one."""
    clients = per_loop()
    first = clients.get()
    await clients.aclose()
    assert first.closed
    assert clients.get() is not first


async def test_aclose_without_a_client_does_nothing() -> None:
    """Closing before any use is harmless."""
    await per_loop().aclose()
