"""The benchmark's targets (issue 9) and how each measured figure is judged, as values."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured row of the table: what was measured, the figure, the target, the verdict."""

    id: str
    measure: str
    figure: str  # human-readable, with units
    target: str
    met: bool | None  # None: informational row without a target of its own
    values: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "measure": self.measure,
            "figure": self.figure,
            "target": self.target,
            "met": self.met,
            "values": _finite(self.values),
            "note": self.note,
        }


def _finite(value: Any) -> Any:
    """JSON has no NaN: missing figures become null."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 3)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def at_most(value: float, limit: float) -> bool:
    """A target of the form "<= limit" (a missing figure never meets it)."""
    return not math.isnan(value) and value <= limit


def at_least(value: float, limit: float) -> bool:
    return not math.isnan(value) and value >= limit


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "info"}[met]


def markdown_table(figures: list[Figure]) -> str:
    lines = [
        "| # | measure | figure | target | verdict |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        cells = [f.id, f.measure, f.figure, f.target, verdict(f.met)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
