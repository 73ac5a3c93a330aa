"""``make drill``: the scripted chaos scenario of issue 9, with live progress.

    python -m drill [--duration 120] [--rate 8] [--short] [--topology flex] [--out drill]

Runs the phases (all healthy; tier 1 hangs; tiers 1 and 2 return 503; all LLM tiers down;
crisis messages during the outage; recovery one tier at a time) under a steady stream of chat
requests, checks the outcome, writes ``report.md``, ``latency.svg`` and ``result.json`` to the
output directory and exits 1 if any check failed. The dev host runs in the Flex topology
(one process per function group, as on Flex Consumption) unless ``--topology single``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path

from devhost.topology import Topology
from drill.checks import run_checks
from drill.model import Check, DrillConfig, DrillResult
from drill.plot import render_svg
from drill.report import render_markdown
from drill.scenario import run_drill

PLOT = "latency.svg"


def emit(line: str) -> None:
    """One line of terminal output (progress and verdicts are the point of this command)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def write_outputs(result: DrillResult, checks: list[Check], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / PLOT).write_text(render_svg(result))
    report = out / "report.md"
    report.write_text(render_markdown(result, checks, PLOT))
    (out / "result.json").write_text(
        json.dumps(
            {
                "checks": [c.to_json() for c in checks],
                "samples": [s.to_json() for s in result.samples],
                "phases": [[p.name, p.start, p.end] for p in result.phases],
                "provider_calls": result.provider_calls,
            },
            indent=1,
        )
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drill", description=__doc__)
    parser.add_argument("--duration", type=float, default=None, help="nominal seconds")
    parser.add_argument("--rate", type=float, default=None, help="chat requests per second")
    parser.add_argument("--short", action="store_true", help="the shortened drill of make test")
    parser.add_argument(
        "--topology", choices=[t.value for t in Topology], default=Topology.FLEX.value
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    config = DrillConfig.short() if args.short else DrillConfig()
    config = replace(config, live=True, topology=Topology(args.topology))
    if args.duration is not None:
        config = replace(config, duration_s=args.duration)
    if args.rate is not None:
        config = replace(config, rate_per_s=args.rate)
    result = asyncio.run(run_drill(config, emit))
    checks = run_checks(result)
    report = write_outputs(result, checks, args.out)
    for check in checks:
        emit(f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}")
    emit(f"report: {report}")
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
