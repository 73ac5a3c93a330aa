"""B12, the content-safety check's cost, is a step of ``make bench``, judged against the grace,
and its measured figures are in the README's benchmark note."""

from __future__ import annotations

from pathlib import Path

from bench import classifier
from bench.__main__ import STEPS

README = Path(__file__).resolve().parents[2] / "README.md"


def _pairs(added_ms: float, n: int = 15) -> tuple[list[float], list[float], list[dict], int]:
    plain = [250.0] * n
    checked = [250.0 + added_ms] * n
    reports = [{"tier": 1, "crisis": False}] * n
    return plain, checked, reports, 0


def test_b12_is_a_step_of_make_bench() -> None:
    """``python -m bench`` runs the classifier's measurement."""
    assert classifier.classifier_cost in STEPS


def test_hung_check_within_the_grace_meets_its_target() -> None:
    """An added median of 148 ms (under the 150 ms grace + 25 ms) is met."""
    row = classifier.b12_row("B12h", "check hung", _pairs(148.0), 175.0)
    assert (row.id, row.met) == ("B12h", True)


def test_hung_check_past_the_grace_misses_its_target() -> None:
    """An added median of 400 ms, far past the grace, is reported as missed."""
    assert classifier.b12_row("B12h", "check hung", _pairs(400.0), 175.0).met is False


def test_a_failed_answer_misses_the_target() -> None:
    """One failed request fails the row, however quick the rest."""
    plain, checked, reports, _ = _pairs(1.0)
    assert (
        classifier.b12_row("B12f", "check failing", (plain, checked, reports, 1), 175.0).met
        is False
    )


def test_b12_figures_are_in_the_readme_note() -> None:
    """The README's benchmark section has the three B12 rows with their measured figures."""
    text = README.read_text(encoding="utf-8")
    note = text[text.index("**B12, the content-safety check**") :]
    for row in ("| B12 | answers in 100 ms |", "| B12h | hangs |", "| B12f | answers 500 |"):
        assert row in note
