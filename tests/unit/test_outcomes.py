"""The background writer of breaker outcomes."""

from __future__ import annotations

import threading

import pytest

from shared.breakers.writer import OutcomeWriter


async def test_settled_waits_for_every_earlier_write() -> None:
    """settled() returns only after writes submitted before it have run, in order."""
    writer = OutcomeWriter()
    release = threading.Event()
    done: list[int] = []

    def slow_write() -> None:
        release.wait(5.0)
        done.append(1)

    writer.submit(slow_write)
    writer.submit(lambda: done.append(2))
    assert writer.busy
    release.set()
    await writer.settled()
    assert done == [1, 2]
    assert not writer.busy


async def test_a_failing_write_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An exception in one write does not stop the writer."""
    writer = OutcomeWriter()
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("table down")

    writer.submit(broken)
    writer.submit(lambda: done.append("next"))
    await writer.settled()
    assert done == ["next"]
    assert "breaker outcome not written" in caplog.text
    assert not writer.busy
