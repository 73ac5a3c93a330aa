"""One simulated provider's mutable state: its fault, counters and last request.

It lives on the simulator's event loop and is only touched from there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulators.faults import Fault, FaultKind
from simulators.pacing import INSTANT, Pacing


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What a provider received last. ``auth`` names the scheme only, never the credential;
    ``key_id`` is a short SHA-256 fingerprint of it, so a test can tell two keys apart.
    ``stream`` says whether the body asked for a streamed answer (``"stream": true``)."""

    path: str
    query: Mapping[str, str]
    auth: str
    body: dict[str, Any] | None
    key_id: str = ""
    host: str = ""
    stream: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "query": dict(self.query),
            "auth": self.auth,
            "key_id": self.key_id,
            "host": self.host,
            "stream": self.stream,
            "body": self.body,
        }


@dataclass
class ProviderState:
    """Fault, request counter and last request of one provider, and its default pacing (which
    a reset keeps: it is configuration, like the port, not state a test leaves behind)."""

    fault: Fault | None = None
    remaining: int | None = None
    requests: int = 0
    # Of those, the crisis-triage requests answered by the rule (simulators/triage.py).
    triage_requests: int = 0
    last: RecordedRequest | None = None
    pacing: Pacing = INSTANT
    # Hung requests wait on this; it is set (and replaced) whenever the fault is changed.
    released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def refusing(self) -> bool:
        return self.fault is not None and self.fault.kind is FaultKind.REFUSE

    def set_fault(self, fault: Fault | None) -> None:
        """Replace the fault (None clears it) and release any request hung by the old one."""
        self.fault = fault
        self.remaining = None if fault is None else fault.count
        self.release()

    def release(self) -> None:
        self.released.set()
        self.released = asyncio.Event()

    def receive(self, request: RecordedRequest) -> Fault | None:
        """Count and record a request; return the fault that applies to it, using up one count."""
        self.requests += 1
        self.last = request
        fault = self.fault
        if fault is not None and self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                # Used up, not cleared: a request it hung keeps hanging until an explicit change.
                self.fault, self.remaining = None, None
        return fault

    def reset(self) -> None:
        self.set_fault(None)
        self.requests = 0
        self.triage_requests = 0
        self.last = None

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "triage_requests": self.triage_requests,
            "fault": None if self.fault is None else self.fault.to_json(),
            "remaining": self.remaining,
            "pacing": self.pacing.to_json(),
            "last_request": None if self.last is None else self.last.to_json(),
        }
