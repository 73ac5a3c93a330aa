"""The ports through which the core reaches the Durable engine and answers HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# The Durable function names, declared once: the triggers register them, the core starts them.
CHAT_ORCHESTRATION = "chat_orchestrator"
ESCALATION_ORCHESTRATION = "escalation_orchestrator"
# The storage queues (shared.platform.queues): their queue triggers are declared with these names.
ALERT_QUEUE = "ops-alerts"
OUTBOX_QUEUE = "records-outbox"
# Escalations that the Durable backend could not start (shared.escalation.fallback).
FALLBACK_QUEUE = "escalation-fallback"


class OrchestrationsUnavailable(Exception):  # noqa: N818 - a state, named as callers say it
    """The Durable backend could not answer (its HTTP API said 500, or could not be reached).

    Never read as "no such instance": a caller that sees this must neither conclude that an
    orchestration is missing nor that it has finished, and should say "try again in a minute".
    """


class Orchestrations(Protocol):
    """The slice of the Durable client that the gateway needs.

    Every method raises :class:`OrchestrationsUnavailable` when the Durable backend fails
    (the extension answers a backend exception with a 500 and a JSON error body)."""

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str: ...

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        """``(state, output)``: state is running, completed, failed, or missing (not found).

        Raises :class:`OrchestrationsUnavailable` when the backend cannot say."""
        ...

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None: ...

    async def terminate(self, instance_id: str, reason: str) -> None:
        """Ask a running instance to stop; one that has already finished (or is gone) is fine."""
        ...

    async def purge(self, instance_id: str) -> int:
        """Delete a finished instance's state and history; how many instances went (0 or 1)."""
        ...

    async def purge_finished(self, name: str, created_before: datetime) -> int:
        """Purge every completed, failed or terminated instance of ``name`` created before
        ``created_before``; how many went."""
        ...


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
