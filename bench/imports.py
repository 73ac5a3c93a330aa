"""B10: ``python -X importtime`` of ``function_app``, in fresh interpreters."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.stack import REPO

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


@dataclass(frozen=True, slots=True)
class ImportTimes:
    total_ms: float  # cumulative time of ``import function_app``
    runs_ms: tuple[float, ...]
    top: tuple[tuple[str, float], ...]  # cumulative, of the modules function_app imports
    top_self: tuple[tuple[str, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "total_ms": round(self.total_ms, 1),
            "runs_ms": [round(r, 1) for r in self.runs_ms],
            "top_cumulative_ms": [[n, round(ms, 1)] for n, ms in self.top],
            "top_self_ms": [[n, round(ms, 1)] for n, ms in self.top_self],
        }


def parse_importtime(stderr: str) -> list[tuple[str, float, float, int]]:
    """``(module, self_ms, cumulative_ms, depth)`` rows of ``-X importtime`` output."""
    rows = []
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match:
            depth = (len(match.group(3)) - 1) // 2
            self_ms, cumulative_ms = int(match.group(1)) / 1000, int(match.group(2)) / 1000
            rows.append((match.group(4), self_ms, cumulative_ms, depth))
    return rows


def measure(runs: int = 3, env: Mapping[str, str] | None = None) -> ImportTimes:
    """Median total over ``runs`` fresh processes (after one run that warms the .pyc files),
    with ``env`` added to this process's environment."""
    runs_rows = []
    for _ in range(runs + 1):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import function_app"],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            check=True,
        )
        runs_rows.append(parse_importtime(result.stderr))
    runs_rows = runs_rows[1:]  # the first run may have compiled .pyc files
    totals = [next(r[2] for r in rows if r[0] == "function_app") for rows in runs_rows]
    median = statistics.median(totals)
    rows = runs_rows[min(range(len(totals)), key=lambda i: abs(totals[i] - median))]
    app_depth = next(r[3] for r in rows if r[0] == "function_app")
    children = [r for r in rows if r[3] == app_depth + 1]
    others = [r for r in rows if r[0] != "function_app"]
    top = sorted(children, key=lambda r: -r[2])[:5]
    top_self = sorted(others, key=lambda r: -r[1])[:5]
    return ImportTimes(
        total_ms=median,
        runs_ms=tuple(totals),
        top=tuple((r[0], r[2]) for r in top),
        top_self=tuple((r[0], r[1]) for r in top_self),
    )
