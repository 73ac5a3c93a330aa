"""The hazard log traced to the suite both ways: every control names tests that exist and are
marked for its hazard, and every safety-marked test is named in the log (H18)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scripts import clinical_safety

# A small, well-formed log and the suite it traces to: the checker's own fixtures.
SUITE = {
    "tests/safety/test_a.py::test_guards_h01": ["H01"],
    "tests/safety/test_a.py::test_guards_both": ["H01", "H02"],
    "tests/unit/test_b.py::test_unrelated": [],
}


def _log() -> dict[str, Any]:
    log = copy.deepcopy(clinical_safety.load_log())
    log["hazards"] = [
        {
            "id": "H01",
            "controls": [
                {
                    "id": "H01-C1",
                    "what": "a control",
                    "tests": [
                        "tests/safety/test_a.py::test_guards_h01",
                        "tests/safety/test_a.py::test_guards_both",
                    ],
                },
                {"id": "H01-C2", "what": "later", "status": "pending", "pending_on": "issue 99"},
            ],
        },
        {
            "id": "H02",
            "controls": [
                {"id": "H02-C1", "what": "c", "tests": ["tests/safety/test_a.py::test_guards_both"]}
            ],
        },
    ]
    return log


@pytest.fixture(scope="module")
def suite() -> dict[str, list[str]]:
    """The whole suite as collected (tests/infra in its own virtualenv), with safety marks."""
    return clinical_safety.collect_suite()


@pytest.mark.integration
@pytest.mark.safety("H18")
def test_the_hazard_log_traces_both_ways_over_the_suite(suite: dict[str, list[str]]) -> None:
    """Every control lists tests that exist and carry its hazard's marker, and every marked
    test is listed; controls pending on other work are allowed, and reported (printed here;
    listed in the safety case by `make safety-case`)."""
    trace = clinical_safety.check_trace(clinical_safety.load_log(), suite)
    print("hazard log: controls pending on other work:", *trace.pending, sep="\n  ")
    assert trace.errors == ()


def test_the_checker_passes_a_consistent_log() -> None:
    """The fixture log traces cleanly, with its pending control reported, not failed."""
    trace = clinical_safety.check_trace(_log(), SUITE)
    assert trace.errors == ()
    assert [p.split(":")[0] for p in trace.pending] == ["H01-C2"]


@pytest.mark.safety("H18")
def test_a_renamed_test_fails_the_trace() -> None:
    """A log naming a test that was renamed (so no longer in the suite) fails the check."""
    renamed = dict(SUITE)
    renamed["tests/safety/test_a.py::test_guards_h01_renamed"] = renamed.pop(
        "tests/safety/test_a.py::test_guards_h01"
    )
    trace = clinical_safety.check_trace(_log(), renamed)
    assert (
        "H01-C1: tests/safety/test_a.py::test_guards_h01 is not in the collected suite"
        in trace.errors
    )
    assert any("test_guards_h01_renamed is marked safety('H01')" in e for e in trace.errors)


def test_a_control_without_a_test_fails_the_trace() -> None:
    """A control that is not pending must list at least one test id."""
    log = _log()
    log["hazards"][1]["controls"][0]["tests"] = []
    assert "H02-C1: lists no test id" in clinical_safety.check_trace(log, SUITE).errors


def test_a_pending_control_must_say_what_it_waits_on() -> None:
    """``pending`` without ``pending_on`` is an error, not a silent gap."""
    log = _log()
    del log["hazards"][0]["controls"][1]["pending_on"]
    errors = clinical_safety.check_trace(log, SUITE).errors
    assert errors == ("H01-C2: pending, but pending_on does not say on what",)


def test_a_marked_test_the_log_does_not_list_fails_the_trace() -> None:
    """A test marked for a hazard whose controls do not list it fails the check."""
    suite = {**SUITE, "tests/unit/test_b.py::test_unrelated": ["H02"]}
    errors = clinical_safety.check_trace(_log(), suite).errors
    assert errors == (
        "tests/unit/test_b.py::test_unrelated is marked safety('H02') but H02 does not list it",
    )


def test_a_listed_test_without_its_marker_fails_the_trace() -> None:
    """A listed test that lacks @pytest.mark.safety for the hazard fails the check."""
    suite = {**SUITE, "tests/safety/test_a.py::test_guards_both": ["H01"]}
    errors = clinical_safety.check_trace(_log(), suite).errors
    assert errors == (
        "H02-C1: tests/safety/test_a.py::test_guards_both lacks @pytest.mark.safety('H02')",
    )


def test_every_stated_risk_is_the_matrix_risk() -> None:
    """Initial and residual risks are read from the DCB0129 matrix, never typed freely."""
    assert clinical_safety.check_log(clinical_safety.load_log()) == []


def test_a_risk_that_is_not_the_matrix_risk_is_reported() -> None:
    """The log check can fail: a hazard stating the wrong risk is named."""
    log = clinical_safety.load_log()
    log["hazards"][0]["initial"] = {"severity": 4, "likelihood": 5, "risk": 2}
    assert clinical_safety.check_log(log) == ["H01: initial risk is 2, the matrix says 5"]


def test_the_log_covers_the_hazards_the_charity_named() -> None:
    """The hazards the clinical safety work started from are all in the log."""
    titles = " | ".join(h["title"].lower() for h in clinical_safety.load_log()["hazards"])
    for words in (
        "crisis message is missed",
        "wrong or outdated number",
        "escalation",
        "merely slow",
        "diagnoses or prescribes",
        "outside the allowlist",
        "partial answer",
        "non-uk tier",
        "rate-limited",
        "beyond its purpose",
        "alerts go nowhere",
        "false crisis reply",
        "every tier is down",
        "crisis detection is unavailable",
    ):
        assert words in titles, words


def test_the_hazard_log_markdown_is_generated_from_the_yaml() -> None:
    """hazard-log.md's generated part is what the YAML renders to now (`make safety-case`)."""
    text = clinical_safety.HAZARD_LOG_MD.read_text(encoding="utf-8")
    current = clinical_safety.generated_part(text, "hazard log")
    assert current == clinical_safety.render_hazard_log(clinical_safety.load_log()), (
        "run `make safety-case` and commit docs/clinical-safety/hazard-log.md"
    )
