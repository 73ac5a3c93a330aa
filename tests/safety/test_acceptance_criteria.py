"""Crisis detection against acceptance criteria set in advance (hazard H01, `acceptance`).

The criteria live in the hazard log and stay fixed: a test fails if one is changed. The
measured figures are not pinned message by message; what must hold is that the documents say
what is measured. The safety case's generated table must equal a fresh run of the shipped
detector on the recorded held-out sets, and the hazard log's status must be the measured
verdict ("met" only when every criterion is). So a pattern change that moves a figure fails
here until the figures are re-recorded with one command:

    python -m scripts.evaluate_crisis --detector patterns --write-safety-case

and H01's status and residual risk are reviewed. An unmet criterion is an open risk, reported;
it is never closed by lowering a criterion.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scripts import evaluate_crisis as ev
from shared.safety.crisis import load_detector

ROOT = Path(__file__).resolve().parents[2]
# The values written into the hazard log on 2026-12-08, before rounds K-M were scored.
SET_IN_ADVANCE = ev.Criteria(explicit_recall=0.99, indirect_recall=0.90, false_alarm_rate=0.03)
MINIMUM_PER_CATEGORY = 100
RECORD_COMMAND = "python -m scripts.evaluate_crisis --detector patterns --write-safety-case"


@pytest.fixture(scope="module")
def recorded_sets() -> list[ev.HeldOutSet]:
    return [ev.load_set(ROOT / entry["file"]) for entry in ev.acceptance()["sets"]]


@pytest.fixture(scope="module")
def shipped_run(recorded_sets: list[ev.HeldOutSet]) -> ev.Run:
    return ev.evaluate("patterns", load_detector(), recorded_sets, ev.load_criteria())


@pytest.mark.safety("H01")
def test_criteria_are_the_ones_set_in_advance() -> None:
    """The hazard log's acceptance criteria are still 99 % / 90 % / 3 %, as first set."""
    assert ev.load_criteria() == SET_IN_ADVANCE


@pytest.mark.safety("H01")
def test_held_out_sets_are_the_recorded_files() -> None:
    """Every held-out set file has the sha256 the hazard log records, and every file is listed."""
    recorded = {entry["file"]: entry["sha256"] for entry in ev.acceptance()["sets"]}
    on_disk = {str(path.relative_to(ROOT)): ev.load_set(path).sha256 for path in ev.default_sets()}
    assert on_disk == recorded


@pytest.mark.safety("H01")
def test_every_held_out_message_names_a_checked_public_source(
    recorded_sets: list[ev.HeldOutSet],
) -> None:
    """Each set loads: every message has a category, class, wording, language and a known source."""
    assert all(s.messages for s in recorded_sets)


@pytest.mark.safety("H01")
def test_each_category_has_at_least_a_hundred_messages(
    recorded_sets: list[ev.HeldOutSet],
) -> None:
    """The recorded sets hold at least 100 messages per category and 100 that must not fire."""
    counts = Counter(m.expected for s in recorded_sets for m in s.messages)
    short = {c: counts[c] for c in (*ev.CATEGORIES, ev.NONE) if counts[c] < MINIMUM_PER_CATEGORY}
    assert short == {}


@pytest.mark.safety("H01")
def test_safety_case_states_what_the_shipped_detector_measures(shipped_run: ev.Run) -> None:
    """The safety case's acceptance table equals a fresh run of the shipped patterns."""
    stated = ev.safety_case_part(ev.SAFETY_CASE.read_text(encoding="utf-8"))
    assert stated == ev.render_safety_case(shipped_run), (
        f"the safety case no longer says what is measured; run `{RECORD_COMMAND}`, "
        "then review H01's acceptance status and residual risk"
    )


@pytest.mark.safety("H01")
def test_hazard_log_status_is_the_measured_verdict(shipped_run: ev.Run) -> None:
    """H01's acceptance status is "met" exactly when every criterion is met by the measurement."""
    unmet = [v.criterion for v in shipped_run.verdicts if not v.met]
    expected = "not met" if unmet else "met"
    assert ev.acceptance()["status"] == expected, unmet


@pytest.mark.safety("H01")
def test_the_word_index_loses_nothing_on_rounds_k_to_m(
    recorded_sets: list[ev.HeldOutSet],
) -> None:
    """On every message of rounds K-M the indexed search finds what the exhaustive one finds."""
    detector = load_detector()
    lost = [
        m.id
        for s in recorded_sets
        for m in s.messages
        if detector.families_in(m.text) != detector.families_in(m.text, exhaustive=True)
    ]
    assert lost == []
