"""Summary statistics for latency samples (pure; nearest-rank percentiles)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values``; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = math.ceil(q / 100.0 * len(ordered))
    return ordered[min(len(ordered) - 1, max(0, rank - 1))]


@dataclass(frozen=True, slots=True)
class Summary:
    """Count, median, tail and extremes of one set of samples (milliseconds)."""

    n: int
    p50: float
    p90: float
    p99: float
    mean: float
    max: float

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    return Summary(
        n=len(values),
        p50=percentile(values, 50),
        p90=percentile(values, 90),
        p99=percentile(values, 99),
        mean=statistics.fmean(values),
        max=max(values),
    )


def paired_differences(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """``a[i] - b[i]`` for samples taken in alternation, so machine noise hits both alike."""
    return [x - y for x, y in zip(a, b, strict=True)]
