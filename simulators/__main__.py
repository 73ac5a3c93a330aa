"""Run the simulated providers until SIGINT/SIGTERM, printing one JSON ready line.

    python -m simulators [--host 127.0.0.1] [--openai-port N] [--azure-port N]
                         [--anthropic-port N] [--control-port N]

A port of 0 (the default) means a free port; the ready line gives the URLs actually used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence

from simulators.faults import ProviderName
from simulators.hub import SimulatorHub


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--openai-port", type=int, default=0)
    parser.add_argument("--azure-port", type=int, default=0)
    parser.add_argument("--anthropic-port", type=int, default=0)
    parser.add_argument("--control-port", type=int, default=0)
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start, announce, wait for a stop signal, stop."""
    ports: dict[ProviderName, int] = {
        "openai": args.openai_port,
        "azure_openai": args.azure_port,
        "anthropic": args.anthropic_port,
    }
    hub = SimulatorHub(args.host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await hub.start(ports, args.control_port)
    try:
        print(json.dumps({"ready": True, **hub.urls()}), flush=True)
        await stop.wait()
    finally:
        await hub.stop()


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(serve(_arguments(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
