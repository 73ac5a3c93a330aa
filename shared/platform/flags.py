"""The one reading of an on/off app setting."""

from __future__ import annotations

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def flag(value: str | None) -> bool:
    """Whether an app setting is on: ``1``, ``true``, ``yes`` or ``on``, in any case."""
    return (value or "").strip().lower() in TRUE_WORDS
