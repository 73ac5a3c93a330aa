"""The one parser for on/off app settings."""

from __future__ import annotations

_TRUTHY = frozenset({"1", "true", "yes", "on"})


def flag(value: str | None) -> bool:
    """Whether an app setting is switched on: ``1``, ``true``, ``yes`` or ``on``, in any case."""
    return (value or "").strip().lower() in _TRUTHY
