"""Pseudonymous references: a keyed hash stands in for raw conversation and user ids.

The reference lets the nurse team and operators correlate events for one conversation without
the gateway ever logging, emitting or storing the raw id. The key is a secret app setting
(``PSEUDONYM_KEY``); without it, a random per-process key is used, which still protects the ids
but makes references differ between instances (and so weakens cross-instance de-duplication).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "ref-"


class Pseudonymizer:
    def __init__(self, key: str | bytes | None) -> None:
        if not key:
            key = secrets.token_bytes(32)
        self._key = key.encode() if isinstance(key, str) else key

    def reference(self, raw_id: str | None) -> str | None:
        """``ref-`` and 20 hex characters of HMAC-SHA256, or None without an id."""
        if not raw_id:
            return None
        digest = hmac.new(self._key, raw_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + digest[:20]
