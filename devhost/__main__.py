"""``python -m devhost [--app function_app:app] [--host 127.0.0.1] [--port 7071]``.

Loads ``local.settings.json`` from the app's directory into the environment (variables
already set win), serves the app in the foreground, prints one ready line with the base URL
and the keys, and exits cleanly on SIGINT or SIGTERM: it stops serving (requests in flight get
a grace period), then calls the SIGTERM handler the app installed when it was imported, as the
worker process gets SIGTERM in Azure. ``PORT`` overrides the default port.

``--group`` (repeatable) serves only those function groups, one process of the Flex
topology; ``--peer GROUP=URL``, ``--durable-rpc``, ``--rpc-port`` and ``--public-url`` say
where the other groups listen (``devhost.processes`` passes them; see ``devhost.topology``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import MappingProxyType

from devhost import loader
from devhost.host import DevHost
from devhost.settings import apply_local_settings
from devhost.topology import Placement

DEFAULT_PORT = 7071


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, with ``PORT`` as the default port when it is set."""
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__)
    raw_port = os.environ.get("PORT", "").strip()
    if raw_port and not raw_port.isdigit():
        parser.error(f"PORT must be a port number, got {raw_port!r}")
    default_port = int(raw_port) if raw_port else DEFAULT_PORT
    parser.add_argument("--app", default=loader.DEFAULT_APP_SPEC, help="module:attribute")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=default_port, help="port to listen on")
    parser.add_argument("--route-prefix", default=None, help="HTTP route prefix (else host.json)")
    parser.add_argument("--group", action="append", help="serve only this function group")
    parser.add_argument("--peer", action="append", default=[], help="GROUP=URL of another group")
    parser.add_argument("--durable-rpc", default=None, help="the Durable process's RPC base URL")
    parser.add_argument("--rpc-port", type=int, default=0, help="this process's Durable RPC port")
    parser.add_argument("--public-url", default=None, help="the app's public base URL")
    return parser.parse_args(argv)


def placement(args: argparse.Namespace) -> Placement:
    """Where this process sits in the topology, from the command line."""
    peers: dict[str, str] = {}
    for item in args.peer:
        group, separator, url = str(item).rpartition("=")
        if not separator or not group or not url:
            raise ValueError(f"--peer must look like GROUP=URL, got {item!r}")
        peers[group] = url.rstrip("/")
    return Placement(
        served=frozenset(args.group) if args.group else None,
        peers=MappingProxyType(peers),
        durable_rpc=args.durable_rpc,
        rpc_port=args.rpc_port,
        public_url=args.public_url,
    )


async def serve(args: argparse.Namespace) -> None:
    """Run the host until SIGINT or SIGTERM; then stop it and hand the signal on to the app."""
    host = DevHost(
        args.app,
        args.host,
        args.port,
        route_prefix=args.route_prefix,
        placement=placement(args),
    )
    # Whatever SIGTERM handler importing the app installed: in Azure the worker process gets
    # the SIGTERM, so the app's handler (its drain) runs once the host has stopped serving.
    app_handler = signal.getsignal(signal.SIGTERM)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await host.start()
    try:
        print(
            f"devhost ready: {host.base_url} "
            f"function_key={host.function_key} admin_key={host.admin_key}",
            flush=True,
        )
        await stop.wait()
    finally:
        await host.stop()
    if callable(app_handler):
        app_handler(signal.SIGTERM, None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 after a clean stop, 2 for a configuration error, 1 if it cannot listen."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The app is imported from the working directory, as the Functions host does.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        apply_local_settings(loader.app_directory(args.app), os.environ)
        asyncio.run(serve(args))
    except (ValueError, TypeError) as exc:
        print(f"devhost: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"devhost: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
