"""The control API: inject and clear faults, reset, read counters.

``POST /_sim/fault`` with ``{"provider": ..., "kind": ..., ...}`` (see :class:`Fault`),
``DELETE /_sim/fault/{provider}``, ``POST /_sim/reset`` (faults and counters; the pacing
stays), ``GET /_sim/stats`` and ``POST /_sim/pacing`` with ``{"provider": ..., "first_token_ms":
..., "tokens_per_s": ..., "answer_tokens": ...}`` (see :class:`Pacing`; without ``provider``,
for every provider; a number left out takes its instant value).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from simulators.faults import PROVIDERS, Fault, parse_provider
from simulators.pacing import Pacing

if TYPE_CHECKING:
    from simulators.hub import SimulatorHub


def control_app(hub: SimulatorHub) -> web.Application:
    """The control application for ``hub``."""

    async def set_fault(request: web.Request) -> web.Response:
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("body must be a JSON object")  # noqa: TRY004, TRY301
            provider = parse_provider(data.pop("provider", None))
            fault = Fault.from_json(data)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        await hub.set_fault(provider, fault)
        return web.json_response({"provider": provider, "fault": fault.to_json()})

    async def clear_fault(request: web.Request) -> web.Response:
        try:
            provider = parse_provider(request.match_info["provider"])
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=404)
        await hub.set_fault(provider, None)
        return web.json_response({"provider": provider, "fault": None})

    async def set_pacing(request: web.Request) -> web.Response:
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("body must be a JSON object")  # noqa: TRY004, TRY301
            named = data.pop("provider", None)
            provider = None if named is None else parse_provider(named)
            pacing = Pacing.from_json(data)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        hub.set_pacing(pacing, provider)
        return web.json_response({p: hub.pacing(p).to_json() for p in PROVIDERS})

    async def reset(_: web.Request) -> web.Response:
        await hub.reset()
        return web.json_response({"reset": True})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(hub.stats())

    app = web.Application()
    app.router.add_post("/_sim/fault", set_fault)
    app.router.add_delete("/_sim/fault/{provider}", clear_fault)
    app.router.add_post("/_sim/pacing", set_pacing)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_get("/_sim/stats", stats)
    return app
