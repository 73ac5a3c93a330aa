"""The one way times are written: ISO 8601 in UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import overload


@overload
def iso(epoch: float, *, seconds: bool = ...) -> str: ...
@overload
def iso(epoch: None, *, seconds: bool = ...) -> None: ...
def iso(epoch: float | None, *, seconds: bool = False) -> str | None:
    """``epoch`` (seconds) as ISO 8601 UTC; whole seconds with ``seconds``; None stays None."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="seconds") if seconds else moment.isoformat()


def now_iso(clock: float | None = None) -> str:
    """Now (or ``clock``), as ISO 8601 UTC to the second."""
    return iso(time.time() if clock is None else clock, seconds=True)
