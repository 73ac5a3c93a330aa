"""Operator actions on the circuit breakers: list, force open for maintenance, reset."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from shared.breakers.store import BreakerStoreError
from shared.operations.health import iso
from shared.platform.errors import ApiError
from shared.platform.ports import HttpReply
from shared.runtime import Runtime


def _view_json(view: Any) -> dict[str, Any]:
    data: dict[str, Any] = view.to_json()
    for key in ("opened_at", "open_until", "next_probe_at", "probe_lease_until", "changed_at"):
        data[key] = iso(data[key])
    return data


async def list_breakers(runtime: Runtime) -> HttpReply:
    providers = [tier.name for tier in runtime.config.failover.tiers]
    views = await asyncio.to_thread(runtime.breakers.states, providers)
    return HttpReply(
        200,
        {
            "store_degraded": runtime.breakers.store_degraded,
            "breakers": [_view_json(v) for v in views],
        },
    )


async def operate_breaker(
    runtime: Runtime, provider: str, action: Literal["open", "close"]
) -> HttpReply:
    if provider not in {tier.name for tier in runtime.config.failover.tiers}:
        return HttpReply(404, ApiError(404, "no such provider", "provider", "not_found").to_body())
    operation = runtime.breakers.force_open if action == "open" else runtime.breakers.reset
    try:
        view = await asyncio.to_thread(operation, provider)
    except BreakerStoreError:
        error = ApiError(
            503,
            "the breaker store is unreachable; the change was not made on any instance",
            None,
            "store_unavailable",
            type="service_unavailable",
        )
        return HttpReply(503, error.to_body(), {"Retry-After": "5"})
    return HttpReply(200, _view_json(view))
