"""The shortened chaos drill, end to end: Azurite, simulators, inbox and a dev host process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from devhost.topology import Topology
from drill.__main__ import write_outputs
from drill.checks import run_checks
from drill.model import Check, DrillConfig, DrillResult
from drill.scenario import run_drill

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def drill_run() -> tuple[DrillResult, list[Check]]:
    result = asyncio.run(run_drill(DrillConfig.short(), lambda _line: None))
    return result, run_checks(result)


@pytest.mark.safety("H04", "H13")
def test_the_short_drill_passes_every_check(drill_run: tuple[DrillResult, list[Check]]) -> None:
    """Healthy, hang, 503s, all down, crisis and recovery: every check of the drill holds."""
    _, checks = drill_run
    failed = [f"{c.name}: {c.detail}" for c in checks if not c.passed]
    assert failed == []


def test_the_short_drill_runs_on_the_flex_topology(
    drill_run: tuple[DrillResult, list[Check]],
) -> None:
    """HTTP, Durable and each timer served the drill from processes of their own."""
    result, _ = drill_run
    assert result.config.topology is Topology.FLEX
    assert {"http", "durable", "function:health_check"} <= set(result.host_processes)


def test_the_short_drill_writes_its_report_and_plot(
    drill_run: tuple[DrillResult, list[Check]], tmp_path: Path
) -> None:
    """The report and the plot are written where asked."""
    result, checks = drill_run
    report = write_outputs(result, checks, tmp_path)
    assert "**PASSED**" in report.read_text()
    assert (tmp_path / "latency.svg").read_text().startswith("<svg")
