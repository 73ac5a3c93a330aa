"""Operator actions on the circuit breakers: list, force open for maintenance, reset."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

from shared.breakers.service import BreakerService
from shared.breakers.store import BreakerStoreError
from shared.platform import ApiError, HttpReply, iso


def _view_json(view: Any) -> dict[str, Any]:
    data: dict[str, Any] = view.to_json()
    for key in ("opened_at", "open_until", "next_probe_at", "probe_lease_until", "changed_at"):
        data[key] = iso(data[key])
    return data


async def list_breakers(breakers: BreakerService, providers: Sequence[str]) -> HttpReply:
    """Every provider's breaker, as this instance reads the shared store."""
    views = await asyncio.to_thread(breakers.states, list(providers))
    return HttpReply(
        200,
        {
            "store_degraded": breakers.store_degraded,
            "breakers": [_view_json(v) for v in views],
        },
    )


async def operate_breaker(
    breakers: BreakerService,
    providers: Sequence[str],
    provider: str,
    action: Literal["open", "close"],
) -> HttpReply:
    """Force ``provider``'s breaker open, or reset it, in the shared store."""
    if provider not in providers:
        return HttpReply(404, ApiError(404, "no such provider", "provider", "not_found").to_body())
    operation = breakers.force_open if action == "open" else breakers.reset
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
