"""The evaluation command: loading held-out sets, scoring, judging, reporting.

The detector here is a scripted stand-in for the detector port (text -> category), so each
figure is known in advance; the real detectors are measured in test_acceptance_criteria.py.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from scripts import evaluate_crisis as ev
from shared.safety import CrisisMatch

SOURCE = {
    "s": {"title": "A public page", "url": "https://example.org/page", "checked": "2026-12-08"}
}


class Scripted:
    """Answers each text with the category it was given, and None for anything else."""

    def __init__(self, answers: Mapping[str, str]) -> None:
        self._answers = answers

    def detect(self, user_turns: Sequence[str]) -> CrisisMatch | None:
        category = self._answers.get(user_turns[-1])
        return CrisisMatch(category=category, signals=("scripted",)) if category else None


def message(
    mid: str, expected: str, wording: str, cls: str = "", lang: str = "en"
) -> dict[str, Any]:
    return {
        "id": mid,
        "text": f"text {mid}",
        "expected": expected,
        "class": cls or f"{expected}.example",
        "wording": wording,
        "language": lang,
        "source": "s",
    }


def write_set(tmp_path: Path, messages: list[dict[str, Any]], name: str = "x") -> Path:
    path = tmp_path / f"round_{name}.json"
    path.write_text(
        json.dumps({"set": name, "sources": SOURCE, "messages": messages}), encoding="utf-8"
    )
    return path


def run_of(tmp_path: Path, messages: list[dict[str, Any]], answers: Mapping[str, str]) -> ev.Run:
    held = ev.load_set(write_set(tmp_path, messages))
    return ev.evaluate("scripted", Scripted(answers), [held], ev.load_criteria())


def test_explicit_and_indirect_recall_are_tallied_apart(tmp_path: Path) -> None:
    """Recall on explicit and on indirect messages of a category are separate figures."""
    messages = [
        message("1", "self_harm", "explicit"),
        message("2", "self_harm", "explicit"),
        message("3", "self_harm", "indirect"),
    ]
    run = run_of(tmp_path, messages, {"text 1": "self_harm", "text 3": "self_harm"})
    row = run.measured.categories[0]
    assert (row.category, row.explicit, row.indirect) == (
        "self_harm",
        ev.Tally(1, 2),
        ev.Tally(1, 1),
    )


def test_another_category_is_not_recalled_and_is_counted_as_wrong(tmp_path: Path) -> None:
    """A crisis answered with the wrong category counts against recall and as a wrong category."""
    messages = [message("1", "safeguarding", "explicit")]
    run = run_of(tmp_path, messages, {"text 1": "medical_emergency"})
    row = next(c for c in run.measured.categories if c.category == "safeguarding")
    assert (row.explicit, row.wrong_category, row.missed) == (ev.Tally(0, 1), 1, 0)


def test_false_alarms_are_counted_with_the_category_they_fired_as(tmp_path: Path) -> None:
    """A message that must not fire but does is a false alarm, named by the category it got."""
    messages = [message("1", "none", "near_miss"), message("2", "none", "ordinary")]
    run = run_of(tmp_path, messages, {"text 1": "self_harm"})
    assert (run.measured.false_alarms, run.measured.false_alarms_as) == (
        ev.Tally(1, 2),
        {"self_harm": 1},
    )


def test_a_figure_exactly_at_its_floor_meets_it() -> None:
    """Recall equal to the floor and false alarms equal to the ceiling both meet the criterion."""
    row = ev.CategoryFigures("self_harm", ev.Tally(99, 100), ev.Tally(9, 10), 0, 0)
    measured = ev.Figures((row,), ev.Tally(3, 100), {}, (), ())
    verdicts = ev.judge(measured, ev.Criteria(0.99, 0.90, 0.03))
    assert [v.met for v in verdicts] == [True, True, True]


def test_a_figure_below_its_floor_is_not_met() -> None:
    """One message short of the floor is not met; a category with no messages is not met."""
    rows = (ev.CategoryFigures("self_harm", ev.Tally(98, 100), ev.Tally(0, 0), 0, 0),)
    measured = ev.Figures(rows, ev.Tally(4, 100), {}, (), ())
    verdicts = ev.judge(measured, ev.Criteria(0.99, 0.90, 0.03))
    assert [v.met for v in verdicts] == [False, False, False]


def test_per_class_and_per_language_tables_group_messages(tmp_path: Path) -> None:
    """The class and language tables count each group's recall and false alarms."""
    messages = [
        message("1", "medical_emergency", "indirect", "medical_emergency.stroke", "cy"),
        message("2", "medical_emergency", "indirect", "medical_emergency.stroke", "en"),
        message("3", "none", "ordinary", "none.chemo", "cy"),
    ]
    run = run_of(tmp_path, messages, {"text 2": "medical_emergency", "text 3": "self_harm"})
    languages = {g.name: (g.recalled, g.false_alarms) for g in run.measured.languages}
    classes = {g.name: g.recalled for g in run.measured.classes}
    assert (languages, classes["medical_emergency.stroke"]) == (
        {"cy": (ev.Tally(0, 1), ev.Tally(1, 1)), "en": (ev.Tally(1, 1), ev.Tally(0, 0))},
        ev.Tally(1, 2),
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"source": "elsewhere"}, "source 'elsewhere' is not in the set's 'sources'"),
        ({"expected": "panic"}, "expected 'panic' is not one of"),
        ({"wording": "near_miss"}, "wording 'near_miss' must be one of"),
        ({"class": "medical_emergency.stroke"}, "does not start with its expected category"),
        ({"text": ""}, "needs a non-empty string 'text'"),
    ],
)
def test_a_malformed_message_is_refused_by_name(
    tmp_path: Path, change: dict[str, str], complaint: str
) -> None:
    """A set with a malformed message fails to load, naming the file, the message and the fault."""
    path = write_set(tmp_path, [{**message("k-001", "self_harm", "explicit"), **change}])
    with pytest.raises(ev.SetError, match=re.escape("round_x.json: message 'k-001'")) as caught:
        ev.load_set(path)
    assert complaint in str(caught.value)


def test_json_report_has_every_figure(tmp_path: Path) -> None:
    """--json prints per-category recall, false alarms, classes, languages and verdicts."""
    path = write_set(
        tmp_path, [message("1", "self_harm", "explicit"), message("2", "none", "ordinary")]
    )
    out = io.StringIO()
    detectors = {"scripted": lambda _: Scripted({"text 1": "self_harm"})}
    code = ev.main(["--detector", "scripted", "--json", str(path)], detectors=detectors, out=out)
    report = json.loads(out.getvalue())
    assert (
        code,
        report["categories"]["self_harm"]["explicit_recall"]["count"],
        report["false_alarms"]["total"],
        len(report["criteria"]),
    ) == (0, 1, 1, 7)


def test_gate_exits_one_when_a_criterion_is_not_met(tmp_path: Path) -> None:
    """--gate makes an unmet criterion a failing exit code."""
    path = write_set(tmp_path, [message("1", "self_harm", "explicit")])
    detectors = {"scripted": lambda _: Scripted({})}
    code = ev.main(
        ["--detector", "scripted", "--gate", str(path)], detectors=detectors, out=io.StringIO()
    )
    assert code == 1


def test_an_unreadable_set_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A set file that is not JSON exits 2 with the file's name."""
    path = tmp_path / "round_bad.json"
    path.write_text("{not json", encoding="utf-8")
    code = ev.main([str(path)], out=io.StringIO())
    assert (code, "round_bad.json: not JSON" in capsys.readouterr().err) == (2, True)


def test_write_safety_case_replaces_only_the_generated_part(tmp_path: Path) -> None:
    """--write-safety-case rewrites the acceptance part and leaves the rest of the text alone."""
    begin, end = ev.markers(ev.SAFETY_CASE_PART)
    case = tmp_path / "case.md"
    case.write_text(f"before\n{begin}\nold\n{end}\nafter\n", encoding="utf-8")
    path = write_set(tmp_path, [message("1", "self_harm", "explicit")])
    detectors = {"scripted": lambda _: Scripted({})}
    ev.main(
        ["--detector", "scripted", "--write-safety-case", str(path)],
        detectors=detectors,
        out=io.StringIO(),
        safety_case=case,
    )
    text = case.read_text(encoding="utf-8")
    assert (
        text.startswith("before\n"),
        text.endswith("after\n"),
        "old" in text,
        "| self_harm explicit recall | 0/1" in text,
    ) == (True, True, False, True)


def test_registry_offers_the_pattern_and_built_in_detectors() -> None:
    """--detector patterns and builtin are registered and each gives a detector without any
    settings; triage is registered too (it needs a configured tier: tested on its own)."""
    assert set(ev.DETECTORS) == {"patterns", "builtin", "triage"}
    made = {name: ev.DETECTORS[name](ev.DetectorOptions()) for name in ("patterns", "builtin")}
    assert {name: hasattr(d, "detect") for name, d in made.items()} == {
        "patterns": True,
        "builtin": True,
    }
