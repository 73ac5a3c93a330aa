"""Evidence tied to a build (H18): every evidence run is stamped with the commit and the hashes
of the safety-critical code and config it ran on, and a result that is older than its stamp,
of other code, or unstamped is refused; the argument and the deployer's constraints are
rendered from the hazard log, and every leaf names evidence that is regenerated."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scripts import clinical_safety, safety_evidence

T0 = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
CURRENT = {"code:safety": "a" * 64, "config:safety-config.json": "b" * 64}


def _junit(path: Path, at: datetime) -> Path:
    path.write_text(
        f'<testsuites><testsuite name="pytest" tests="1" timestamp="{at.isoformat()}">'
        '<testcase classname="tests.x.test_y" name="test_z"/></testsuite></testsuites>',
        encoding="utf-8",
    )
    return path


def _stamp(path: Path, at: datetime, hashes: dict[str, str]) -> Path:
    record = {"commit": "c" * 40, "work_tree_differs": False, "hashes": hashes}
    record["started_at"] = at.isoformat()
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _evidence(tmp_path: Path, *, ran_at: datetime, hashes: dict[str, str]) -> dict[str, Any]:
    result = _junit(tmp_path / "junit.xml", ran_at)
    stamp = _stamp(tmp_path / "junit.stamp.json", T0, hashes)
    return {"tests": (result, stamp)}


@pytest.mark.safety("H18")
def test_a_result_of_this_build_is_accepted(tmp_path: Path) -> None:
    """A report written after its stamp, from the code and config of this build, is evidence."""
    evidence = _evidence(tmp_path, ran_at=T0 + timedelta(seconds=5), hashes=dict(CURRENT))
    runs, refused = safety_evidence.gather(evidence, CURRENT)
    assert (len(runs), refused) == (1, [])


@pytest.mark.safety("H18")
def test_a_result_older_than_its_stamp_is_refused(tmp_path: Path) -> None:
    """A report from a run before the stamp (a leftover of an earlier run) is refused."""
    evidence = _evidence(tmp_path, ran_at=T0 - timedelta(hours=1), hashes=dict(CURRENT))
    _, refused = safety_evidence.gather(evidence, CURRENT)
    assert len(refused) == 1
    assert "older than its build stamp" in refused[0]


@pytest.mark.safety("H18")
def test_a_result_of_other_code_is_refused(tmp_path: Path) -> None:
    """A report stamped with another hash of the safety code is refused, naming the group."""
    ran_on = {**CURRENT, "code:safety": "f" * 64}
    evidence = _evidence(tmp_path, ran_at=T0 + timedelta(seconds=5), hashes=ran_on)
    _, refused = safety_evidence.gather(evidence, CURRENT)
    assert len(refused) == 1
    assert "(code:safety changed since)" in refused[0]


@pytest.mark.safety("H18")
def test_a_result_without_a_stamp_is_refused(tmp_path: Path) -> None:
    """A report with no build stamp beside it cannot be tied to a build and is refused."""
    result = _junit(tmp_path / "junit.xml", T0)
    _, refused = safety_evidence.gather({"tests": (result, tmp_path / "none.json")}, CURRENT)
    assert len(refused) == 1
    assert "has no build stamp" in refused[0]


def test_no_test_report_at_all_is_refused(tmp_path: Path) -> None:
    """Without a test report there is no case to write."""
    missing = (tmp_path / "junit.xml", tmp_path / "junit.stamp.json")
    _, refused = safety_evidence.gather({"tests": missing}, CURRENT)
    assert refused == ["tests: no JUnit report of `make test` on this machine; run it first"]


@pytest.mark.safety("H18")
def test_a_change_to_safety_code_changes_its_group_hash(tmp_path: Path) -> None:
    """Changing a byte of a covered file, or renaming it, changes the group's hash."""
    (tmp_path / "pkg").mkdir()
    module = tmp_path / "pkg" / "guard.py"
    module.write_text("RULE = 1\n", encoding="utf-8")
    before = safety_evidence.group_hash(tmp_path, ["pkg/**/*.py"])
    module.write_text("RULE = 2\n", encoding="utf-8")
    edited = safety_evidence.group_hash(tmp_path, ["pkg/**/*.py"])
    module.rename(tmp_path / "pkg" / "guard2.py")
    renamed = safety_evidence.group_hash(tmp_path, ["pkg/**/*.py"])
    assert len({before, edited, renamed}) == 3


@pytest.mark.safety("H18")
def test_the_stamp_records_the_commit_and_every_hash() -> None:
    """A stamp names the commit, the time, every code group of the log and every safety
    config file."""
    log = clinical_safety.load_log()
    record = safety_evidence.stamp(log, T0)
    groups = {f"code:{g['name']}" for g in log["safety_critical_code"]}
    assert len(record["commit"]) == 40
    assert record["started_at"] == "2026-12-08T02:00:00+00:00"
    assert groups <= set(record["hashes"])
    assert "config:safety-config.json" in record["hashes"]


def test_every_code_group_pattern_names_a_file() -> None:
    """Each path of a safety-critical code group matches at least one file, so a moved file
    cannot silently drop out of the hash."""
    for group in clinical_safety.load_log()["safety_critical_code"]:
        for pattern in group["paths"]:
            assert safety_evidence.group_hash(clinical_safety.ROOT, [pattern])


@pytest.mark.safety("H18")
def test_the_argument_places_every_hazard_and_names_its_evidence() -> None:
    """Every hazard is under one sub-claim, with its control tests as evidence if it has any;
    every evidence item is one the evidence section regenerates; every assumption is a
    deployment constraint."""
    assert safety_evidence.check_argument(clinical_safety.load_log()) == []


def test_a_hazard_left_out_of_the_argument_is_reported() -> None:
    """The argument check can fail: a hazard under no sub-claim is named."""
    log = copy.deepcopy(clinical_safety.load_log())
    claim = log["argument"]["claims"][0]
    claim["hazards"] = [h for h in claim["hazards"] if h != "H01"]
    claim["evidence"] = [e for e in claim["evidence"] if e != "tests:H01"]
    assert safety_evidence.check_argument(log) == ["H01 is under no sub-claim"]


def test_every_leaf_has_a_place_in_the_evidence_section() -> None:
    """Each evidence item the argument names gets a row, with the part of section 4 it is in."""
    log = clinical_safety.load_log()
    rows = clinical_safety._argument_evidence(log, "c" * 40)
    for claim in log["argument"]["claims"]:
        for item in claim["evidence"]:
            assert any(row.startswith(f"| `{item}` |") for row in rows), item


@pytest.mark.safety("H18")
def test_the_argument_and_constraints_are_generated_from_the_log() -> None:
    """The safety case's argument and deployment constraints are what the YAML renders to now
    (`make safety-case SAFETY_CASE_ARGS=--documents-only`)."""
    case = clinical_safety.SAFETY_CASE.read_text(encoding="utf-8")
    assert clinical_safety.render_documents(clinical_safety.load_log(), case) == case


def test_the_diagram_declares_every_node_it_links() -> None:
    """Every node an edge of the Mermaid diagram names is declared with a label."""
    text = safety_evidence.render_argument(clinical_safety.load_log())
    declared = {
        line.split('"')[0].strip().rstrip("[(/>") for line in text.splitlines() if '"' in line
    }
    for line in text.splitlines():
        if "-->" in line or "-.-" in line:
            for node in line.replace("-.-", "-->").split("-->"):
                assert node.strip() in declared, node


@pytest.mark.safety("H18")
def test_every_deployer_control_names_a_listed_constraint() -> None:
    """A control the deployer carries out names a constraint of section 7, and every
    constraint is relied on by some control or assumption."""
    log = clinical_safety.load_log()
    listed = {c["id"] for c in log["deployment_constraints"]}
    named = {
        c["constraint"]
        for h in log["hazards"]
        for c in h["controls"]
        if c.get("status") == clinical_safety.DEPLOYER
    }
    assumed = {a for claim in log["argument"]["claims"] for a in claim.get("assumptions", ())}
    assert named <= listed
    assert listed <= named | assumed


def test_a_deployer_control_without_a_constraint_fails_the_trace() -> None:
    """The trace check can fail: a deployer control that names no constraint is an error."""
    log = {"hazards": [{"id": "H99", "controls": [{"id": "H99-C1", "status": "deployer"}]}]}
    errors = clinical_safety.check_trace(log, {}).errors
    assert errors == ("H99-C1: a deployer control must name its deployment constraint",)
