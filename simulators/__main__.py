"""Run the simulated providers until SIGINT/SIGTERM, printing one JSON ready line.

    python -m simulators [--host 127.0.0.1] [--openai-port N] [--azure-port N]
                         [--anthropic-port N] [--control-port N] [--realistic]
                         [--first-token-ms MS] [--tokens-per-s N] [--answer-tokens N]

A port of 0 (the default) means a free port; the ready line gives the URLs actually used.
Answers are instant unless paced: ``--realistic`` gives each provider the pace of its real
model (see ``simulators/pacing.py``), and the three pacing numbers, given alone or on top of
``--realistic``, set that number for every provider.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence

from simulators.faults import PROVIDERS, ProviderName
from simulators.hub import SimulatorHub
from simulators.pacing import INSTANT, PACING_FIELDS, REALISTIC, Pacing


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--openai-port", type=int, default=0)
    parser.add_argument("--azure-port", type=int, default=0)
    parser.add_argument("--anthropic-port", type=int, default=0)
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument(
        "--realistic", action="store_true", help="pace each provider like its model"
    )
    parser.add_argument("--first-token-ms", type=int, help="time to first token, in ms")
    parser.add_argument("--tokens-per-s", type=float, help="tokens per second (0: no pacing)")
    parser.add_argument("--answer-tokens", type=int, help="answer length in tokens")
    args = parser.parse_args(argv)
    try:
        args.pacing = pacing(args)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def pacing(args: argparse.Namespace) -> dict[ProviderName, Pacing]:
    """Each provider's pacing from the command line."""
    given = {key: getattr(args, key) for key in PACING_FIELDS if getattr(args, key) is not None}
    result: dict[ProviderName, Pacing] = {}
    for provider in PROVIDERS:
        base = REALISTIC[provider] if args.realistic else INSTANT
        result[provider] = Pacing(**{**base.to_json(), **given})
    return result


async def serve(args: argparse.Namespace) -> None:
    """Start, announce, wait for a stop signal, stop."""
    ports: dict[ProviderName, int] = {
        "openai": args.openai_port,
        "azure_openai": args.azure_port,
        "anthropic": args.anthropic_port,
    }
    hub = SimulatorHub(args.host, pacing=args.pacing)
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
