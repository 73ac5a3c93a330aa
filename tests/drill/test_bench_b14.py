"""B14, the crisis triage's cost, is a step of ``make bench``, judged against its goal, and its
measured figures are in the README's benchmark note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import triage
from bench.__main__ import ONLY, STEPS

README = Path(__file__).resolve().parents[2] / "README.md"


def _pairs(added_ms: float, n: int = 20) -> tuple[list[float], list[float], list[Any], int]:
    plain = [480.0] * n
    return plain, [480.0 + added_ms] * n, [{"tier": 1, "crisis": False}] * n, 0


def test_b14_is_a_step_of_make_bench_and_runs_alone() -> None:
    """``python -m bench`` runs the triage's measurement, and ``--only B14`` runs it alone."""
    assert triage.triage_cost in STEPS
    assert ONLY["B14"][0] is triage.triage_cost


def test_a_median_within_the_margin_meets_the_goal() -> None:
    """An added median of 1.5 ms, every answer from tier 1, is met."""
    assert triage.b14_row(*_pairs(1.5)).met is True


def test_a_triage_that_holds_the_answer_misses_the_goal() -> None:
    """An added median of 150 ms (the answer waited for the triage) is reported as missed."""
    assert triage.b14_row(*_pairs(150.0)).met is False


def test_b14_figures_are_in_the_readme_note() -> None:
    """The README's benchmark section has the two B14 rows with their measured figures."""
    text = README.read_text(encoding="utf-8")
    note = text[text.index("**B14, the crisis triage**") :]
    for row in ("| B14 | added to the answer (paired) |", "| B14t | tokens per triaged message |"):
        assert row in note
