"""The runbook quotes the shipped configuration: budgets, windows and stores as they are.

An operator acting on an alert reads the runbook, not the config. Each figure it quotes is
read back from the sentence that quotes it and compared with the config file it comes from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = (REPO / "docs" / "runbook.md").read_text(encoding="utf-8")


def _config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO / "config" / name).read_text(encoding="utf-8"))
    return data


FAILOVER = _config("failover-config.json")
OBSERVABILITY = _config("observability-config.json")
CLASSIFIER = _config("safety-config.json")["classifier"]
SLA_ALERT = OBSERVABILITY["alerts"]["crisis-sla-violations"]


def quoted(pattern: str) -> list[float]:
    """Every number the runbook quotes in sentences matching ``pattern`` (one group)."""
    found = [float(m) for m in re.findall(pattern, RUNBOOK)]
    assert found, f"the runbook no longer says {pattern!r}; update this test with it"
    return found


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"within the (\d+(?:\.\d+)?) s budget", FAILOVER["budget_s"]),
        (r"provider again after (\d+) s, doubling", FAILOVER["breaker_defaults"]["open_s"]),
        (
            r"doubling up to (\d+) minutes",
            FAILOVER["breaker_defaults"]["max_open_s"] / 60,
        ),
        (r"rows older than (\d+) days", OBSERVABILITY["audit"]["retention_days"]),
        (r"(\d+) crisis replies slower than", SLA_ALERT["violations"]),
        (
            r"slower than `crisis_response_s` \(\d+ s\)\s+within (\d+) minutes",
            SLA_ALERT["window_s"] / 60,
        ),
        (r"at most one alert per (\d+) minutes", SLA_ALERT["cooldown_s"] / 60),
        (
            r"more than (\d+)% of chat requests",
            OBSERVABILITY["alerts"]["error-rate"]["threshold_percent"],
        ),
        (r"the grace \((\d+) ms\)", CLASSIFIER["grace_ms"]),
    ],
)
def test_each_quoted_figure_is_the_configs(pattern: str, expected: float) -> None:
    """A figure the runbook quotes is the one the shipped config sets."""
    assert set(quoted(pattern)) == {float(expected)}


def test_the_runbook_names_where_the_task_hub_lives() -> None:
    """The default backend is the Durable Task Scheduler; the runbook says so and names its
    resources as the Bicep does, and no longer sends operators to the storage account alone."""
    assert "Durable Task Scheduler (`dts-askeve-<env>-<region>-…`" in RUNBOOK
    bicep = (REPO / "infra" / "modules" / "region.bicep").read_text(encoding="utf-8")
    assert "'dts-askeve-${environmentName}-${regionCode}-" in bicep
    assert "storage account (the Durable task hub)" not in RUNBOOK
