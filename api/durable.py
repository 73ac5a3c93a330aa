"""Adapt the Durable Functions client to the core's :class:`~shared.gateway.Orchestrations`."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

_DONE = {df.OrchestrationRuntimeStatus.Completed: "completed"}
_FAILED = {
    df.OrchestrationRuntimeStatus.Failed,
    df.OrchestrationRuntimeStatus.Terminated,
    df.OrchestrationRuntimeStatus.Canceled,
}


class DurableOrchestrations:
    def __init__(self, client: df.DurableOrchestrationClient) -> None:
        self._client = client

    async def start(self, name: str, payload: dict[str, Any]) -> str:
        return str(await self._client.start_new(name, client_input=payload))

    async def poll(self, instance_id: str) -> tuple[str, Any]:
        status = await self._client.get_status(instance_id)
        runtime_status = status.runtime_status
        if runtime_status in _DONE:
            return _DONE[runtime_status], status.output
        if runtime_status in _FAILED:
            return "failed", None
        return "running", None
