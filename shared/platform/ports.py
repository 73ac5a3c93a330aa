"""The ports through which the core reaches the Durable engine and answers HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# The Durable function names, declared once: the triggers register them, the core starts them.
CHAT_ORCHESTRATION = "chat_orchestrator"
ESCALATION_ORCHESTRATION = "escalation_orchestrator"
# The storage queues (shared.platform.queues): their queue triggers are declared with these names.
ALERT_QUEUE = "ops-alerts"
OUTBOX_QUEUE = "records-outbox"


class Orchestrations(Protocol):
    """The slice of the Durable client that the gateway needs."""

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str: ...

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        """``(state, output)``: state is running, completed, failed, or missing (not found)."""
        ...

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
