"""A counting HTTP proxy in front of Azurite's table endpoint, on loopback.

    python -m bench.tableproxy --target-port N

It forwards every request unchanged (the SharedKey signature covers the path, not the host) and
counts reads (GET) and writes (POST, PUT, MERGE, PATCH, DELETE) per table, so table traffic per
chat request is measured without touching the app. ``GET /_proxy/stats`` returns the counters
and ``POST /_proxy/reset`` zeroes them. Prints one JSON ready line with its port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

_HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
_TABLE = re.compile(r"^/[^/]+/([^/(?]+)")
WRITE_METHODS = frozenset({"POST", "PUT", "MERGE", "PATCH", "DELETE"})


def classify(method: str, path: str) -> tuple[str, str]:
    """``(table, "read" | "write" | "admin")`` for one table-service request.

    Creating, listing and deleting tables goes to the ``Tables`` resource: that is set-up
    traffic, not steady-state work, so it is counted apart as ``admin``.
    """
    match = _TABLE.match(path)
    table = match.group(1) if match else "?"
    if table in {"Tables", "$batch"}:
        return table, "admin" if table == "Tables" else "write"
    return table, "write" if method.upper() in WRITE_METHODS else "read"


@dataclass
class Counts:
    by_table: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, table: str, kind: str) -> None:
        self.by_table[(table, kind)] += 1

    def to_json(self) -> dict[str, Any]:
        tables: dict[str, dict[str, int]] = {}
        for (table, kind), count in sorted(self.by_table.items()):
            tables.setdefault(table, {"read": 0, "write": 0, "admin": 0})[kind] = count
        return {
            "reads": sum(c for (_, k), c in self.by_table.items() if k == "read"),
            "writes": sum(c for (_, k), c in self.by_table.items() if k == "write"),
            "admin": sum(c for (_, k), c in self.by_table.items() if k == "admin"),
            "tables": tables,
        }


def proxy_app(target: str, counts: Counts) -> web.Application:
    session: dict[str, aiohttp.ClientSession] = {}

    async def startup(_: web.Application) -> None:
        session["s"] = aiohttp.ClientSession(auto_decompress=False)

    async def cleanup(_: web.Application) -> None:
        await session["s"].close()

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(counts.to_json())

    async def reset(_: web.Request) -> web.Response:
        counts.by_table.clear()
        return web.json_response({"reset": True})

    async def forward(request: web.Request) -> web.StreamResponse:
        table, kind = classify(request.method, request.path)
        counts.add(table, kind)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        body = await request.read()
        async with session["s"].request(
            request.method,
            target + request.path_qs,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
            return web.Response(status=upstream.status, body=payload, headers=out)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    app.router.add_get("/_proxy/stats", stats)
    app.router.add_post("/_proxy/reset", reset)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def serve(target_port: int, port: int) -> None:
    runner = web.AppRunner(proxy_app(f"http://127.0.0.1:{target_port}", Counts()), access_log=None)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", port))
    await web.SockSite(runner, sock).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(json.dumps({"ready": True, "port": sock.getsockname()[1]}), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tableproxy")
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.target_port, args.port))


if __name__ == "__main__":
    main()
