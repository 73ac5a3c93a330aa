"""A loopback stand-in for App Service authentication: a reverse proxy that passes each request
on with ``X-MS-CLIENT-PRINCIPAL`` for a signed-in operator, as App Service does after an Entra
sign-in (and drops any copy the client sent, as App Service does). A browser cannot add a
header itself, so the status page is browsed through this, never with a key in the URL."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from types import TracebackType

import aiohttp
from aiohttp import web

OPERATORS_GROUP = "3f6c2a41-7d1e-4b8a-9c55-0e2d4f6a8b10"


def principal(*groups: str) -> str:
    """An ``X-MS-CLIENT-PRINCIPAL`` value for a user in ``groups``."""
    document = {
        "auth_typ": "aad",
        "claims": [{"typ": "groups", "val": g} for g in groups]
        + [{"typ": "name", "val": "Operator"}],
        "name_typ": "name",
        "role_typ": "roles",
    }
    return base64.b64encode(json.dumps(document).encode()).decode()


class SignInProxy:
    """``http://127.0.0.1:<port>`` forwarding to ``target`` as a signed-in operator."""

    def __init__(self, target: str, *groups: str) -> None:
        self._target = target.rstrip("/")
        self._principal = principal(*(groups or (OPERATORS_GROUP,)))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __enter__(self) -> SignInProxy:
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    async def _forward(self, request: web.Request) -> web.Response:
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in {"host", "x-ms-client-principal", "content-length"}
        }
        headers["x-ms-client-principal"] = self._principal
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                f"{self._target}{request.rel_url}",
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as reply,
        ):
            body = await reply.read()
            passed = {
                k: v
                for k, v in reply.headers.items()
                if k.lower() not in {"content-length", "transfer-encoding", "content-encoding"}
            }
            return web.Response(status=reply.status, body=body, headers=passed)
