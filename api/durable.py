"""Adapt the Durable Functions client to the core's orchestration port."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

_STATES = {
    df.OrchestrationRuntimeStatus.Completed: "completed",
    df.OrchestrationRuntimeStatus.Failed: "failed",
    df.OrchestrationRuntimeStatus.Terminated: "failed",
    df.OrchestrationRuntimeStatus.Canceled: "failed",
}


class DurableOrchestrations:
    def __init__(self, client: df.DurableOrchestrationClient) -> None:
        self._client = client

    async def start(
        self, name: str, payload: dict[str, Any], instance_id: str | None = None
    ) -> str:
        return str(await self._client.start_new(name, instance_id, payload))

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        status = await self._client.get_status(instance_id)
        if status.runtime_status is None:
            return "missing", None
        state = _STATES.get(status.runtime_status, "running")
        return state, status.output if state == "completed" else None

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        await self._client.raise_event(instance_id, name, data)

    async def terminate(self, instance_id: str, reason: str) -> None:
        await self._client.terminate(instance_id, reason)

    async def purge(self, instance_id: str) -> None:
        await self._client.purge_instance_history(instance_id)
