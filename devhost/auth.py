"""Function keys, enforced as in Azure (Core Tools does not enforce them locally).

``ANONYMOUS`` needs no key, ``FUNCTION`` takes the function key or the admin key, ``ADMIN``
takes only the admin key. The Durable HTTP API takes the system key or the admin key. Keys
arrive in the ``x-functions-key`` header or the ``code`` query parameter.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"
FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"
ADMIN_KEY_SETTING = "DEVHOST_ADMIN_KEY"
SYSTEM_KEY_SETTING = "DEVHOST_SYSTEM_KEY"


class AuthLevel(StrEnum):
    """The ``authLevel`` of an HTTP trigger binding."""

    ANONYMOUS = "ANONYMOUS"
    FUNCTION = "FUNCTION"
    ADMIN = "ADMIN"

    @classmethod
    def parse(cls, raw: object) -> AuthLevel:
        """Read a binding's ``authLevel``; the host default is ``FUNCTION``."""
        if raw is None:
            return cls.FUNCTION
        text = str(getattr(raw, "value", raw)).strip().upper()
        try:
            return cls(text)
        except ValueError:
            raise ValueError(f"unknown authLevel {raw!r}") from None


@dataclass(frozen=True, slots=True, repr=False)
class HostKeys:
    """The host's keys. ``repr`` is suppressed so keys never reach a log."""

    function_key: str
    admin_key: str
    system_key: str

    def __repr__(self) -> str:
        return "HostKeys(<redacted>)"

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, str],
        new_key: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> HostKeys:
        """Keys from app settings, generating each one that is unset."""
        return cls(
            function_key=settings.get(FUNCTION_KEY_SETTING, "") or new_key(),
            admin_key=settings.get(ADMIN_KEY_SETTING, "") or new_key(),
            system_key=settings.get(SYSTEM_KEY_SETTING, "") or new_key(),
        )

    def allows(self, level: AuthLevel, presented: str | None) -> bool:
        """Whether ``presented`` grants ``level``."""
        if level is AuthLevel.ANONYMOUS:
            return True
        if not presented:
            return False
        # Evaluate every comparison so timing does not reveal which key nearly matched.
        is_admin = _same(presented, self.admin_key)
        is_function = _same(presented, self.function_key)
        if level is AuthLevel.ADMIN:
            return is_admin
        return is_admin or is_function

    def allows_system(self, presented: str | None) -> bool:
        """Whether ``presented`` grants the Durable HTTP API (system key or admin key)."""
        if not presented:
            return False
        is_admin = _same(presented, self.admin_key)
        is_system = _same(presented, self.system_key)
        return is_admin or is_system


def presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key a request presents: the header wins over the query parameter."""
    return headers.get(KEY_HEADER) or query.get(KEY_QUERY) or None


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())
