"""The clinical safety documents' machinery: the hazard log, its trace to the tests, and the
safety case's generated parts.

``docs/clinical-safety/hazard-log.yaml`` is the hazard log's machine-readable form. This module
reads it, checks it (:func:`check_log`: DCB0129 risks read from the matrix; :func:`check_trace`:
every control traced to tests that exist and carry ``@pytest.mark.safety``, and every such test
listed), renders ``hazard-log.md`` from it, and writes the safety case's evidence section from
the latest results (``python -m scripts.clinical_safety``, which ``make safety-case`` runs).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree  # nosec B405

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "clinical-safety"
HAZARD_LOG = DOCS / "hazard-log.yaml"
HAZARD_LOG_MD = DOCS / "hazard-log.md"
SAFETY_CASE = DOCS / "safety-case.md"
MARKS_PLUGIN = "tests.support.safety_marks"
PENDING = "pending"
DEPLOYER = "deployer"  # a control the deploying organisation carries out (a D-constraint)


@dataclass(frozen=True, slots=True)
class Trace:
    """What the trace check found: ``errors`` fail the gate; ``pending`` are reported."""

    errors: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()


@dataclass
class _Findings:
    errors: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def load_log(path: Path = HAZARD_LOG) -> dict[str, Any]:
    """The hazard log as data."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("hazards"), list):
        msg = f"{path.name}: expected a mapping with a 'hazards' list"
        raise TypeError(msg)
    return data


def risk(log: Mapping[str, Any], severity: int, likelihood: int) -> int:
    """The DCB0129 risk rating of ``severity`` x ``likelihood``, from the log's matrix."""
    row: Sequence[int] = log["scales"]["matrix"][likelihood]
    return int(row[severity - 1])


def check_log(log: Mapping[str, Any]) -> list[str]:
    """Problems with the log itself: ids, fields, and risks that are not the matrix's."""
    problems: list[str] = []
    seen: set[str] = set()
    for hazard in log["hazards"]:
        hid = hazard.get("id", "?")
        if hid in seen:
            problems.append(f"{hid}: duplicate hazard id")
        seen.add(hid)
        for key in (
            "title",
            "cause",
            "effect",
            "initial",
            "controls",
            "residual",
            "residual_basis",
            "cso_actions",
        ):
            if key not in hazard:
                problems.append(f"{hid}: missing {key}")
        for stage in ("initial", "residual"):
            rating = hazard.get(stage) or {}
            try:
                expected = risk(log, int(rating["severity"]), int(rating["likelihood"]))
            except (KeyError, IndexError, TypeError, ValueError):
                problems.append(f"{hid}: {stage} needs severity and likelihood 1-5")
                continue
            if rating.get("risk") != expected:
                problems.append(
                    f"{hid}: {stage} risk is {rating.get('risk')}, the matrix says {expected}"
                )
        if not hazard.get("controls"):
            problems.append(f"{hid}: no controls")
    return problems


def check_trace(log: Mapping[str, Any], suite: Mapping[str, Sequence[str]]) -> Trace:
    """The trace both ways between the log and ``suite`` (test id -> hazards it is marked for).

    Errors: a control with no test id (and not pending), a listed id that is not in the suite,
    a listed test without ``@pytest.mark.safety`` for that hazard, and a marked test that the
    log does not list under the hazard its marker names. Pending controls are reported.
    """
    found = _Findings()
    listed: dict[str, set[str]] = {}
    for hazard in log["hazards"]:
        hid = hazard["id"]
        for control in hazard.get("controls", ()):
            _check_control(hid, control, suite, listed, found)
    for test_id, hazards in sorted(suite.items()):
        for hid in sorted(set(hazards) - listed.get(test_id, set())):
            found.errors.append(f"{test_id} is marked safety({hid!r}) but {hid} does not list it")
    return Trace(tuple(found.errors), tuple(found.pending))


def _check_control(
    hid: str,
    control: Mapping[str, Any],
    suite: Mapping[str, Sequence[str]],
    listed: dict[str, set[str]],
    found: _Findings,
) -> None:
    cid = control.get("id", f"{hid}-?")
    tests = list(control.get("tests") or ())
    if control.get("status") == DEPLOYER:
        if not control.get("constraint"):
            found.errors.append(f"{cid}: a deployer control must name its deployment constraint")
    elif control.get("status") == PENDING:
        if not control.get("pending_on"):
            found.errors.append(f"{cid}: pending, but pending_on does not say on what")
        found.pending.append(
            f"{cid}: {control.get('what', '').strip()} (waits on {control.get('pending_on')})"
        )
    elif not tests:
        found.errors.append(f"{cid}: lists no test id")
    for test_id in tests:
        listed.setdefault(test_id, set()).add(hid)
        if test_id not in suite:
            found.errors.append(f"{cid}: {test_id} is not in the collected suite")
        elif hid not in suite[test_id]:
            found.errors.append(f"{cid}: {test_id} lacks @pytest.mark.safety({hid!r})")


INFRA_PYTHON = ROOT / ".venv-infra" / "bin" / "python"


def collect_suite() -> dict[str, list[str]]:
    """Collect the whole suite in child pytest runs (no test runs) and return every test id
    with the hazards its safety markers name. tests/infra is collected where it runs, in the
    infra virtualenv (``make infra-venv``); the rest with this interpreter."""
    if not INFRA_PYTHON.exists():
        msg = f"{INFRA_PYTHON.relative_to(ROOT)} is missing: run `make infra-venv` first"
        raise RuntimeError(msg)
    suite = _collect([sys.executable], ["tests"])
    infra = ["-c", "infra/pytest.ini", "--rootdir", ".", "tests/infra"]
    suite.update(_collect([str(INFRA_PYTHON)], infra))
    return suite


def _collect(python: Sequence[str], args: Sequence[str]) -> dict[str, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "marks.json"
        env = {**os.environ, "ASKEVE_SAFETY_MARKS_OUT": str(out)}
        done = subprocess.run(  # noqa: S603 - our own interpreters, fixed arguments
            [*python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             "-p", MARKS_PLUGIN, *args],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not out.exists():
            msg = f"collecting {args[-1]} failed ({done.returncode}):\n{done.stdout[-3000:]}"
            raise RuntimeError(msg)
        data: dict[str, list[str]] = json.loads(out.read_text(encoding="utf-8"))
        return data


# --- the generated parts of the documents -------------------------------------------------


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- begin generated: {name} (`make safety-case`; do not edit by hand) -->",
        f"<!-- end generated: {name} -->",
    )


def generated_part(text: str, name: str) -> str:
    """The text between the ``name`` markers of a document."""
    begin, end = _markers(name)
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        msg = f"the document has no generated part {name!r}"
        raise ValueError(msg)
    return text[start + len(begin) : stop].strip("\n")


def replace_generated(text: str, name: str, content: str) -> str:
    """``text`` with its ``name`` part replaced by ``content``."""
    begin, end = _markers(name)
    old = generated_part(text, name)
    start = text.find(begin) + len(begin)
    stop = text.find(end)
    assert text[start:stop].strip("\n") == old  # noqa: S101 - an internal invariant
    return f"{text[:start]}\n{content}\n{text[stop:]}"


def _scale(log: Mapping[str, Any], scale: str, value: int, key: str = "name") -> str:
    return f"{value} {log['scales'][scale][value][key]}"


def render_hazard_log(log: Mapping[str, Any]) -> str:
    """The hazard log's tables and entries, rendered from the YAML."""
    lines = ["## Summary", "", "| id | hazard | initial risk | residual risk | open controls |"]
    lines.append("|---|---|---|---|---|")
    for hazard in log["hazards"]:
        pending = [c["id"] for c in hazard["controls"] if c.get("status") == PENDING]
        lines.append(
            f"| {hazard['id']} | {hazard['title']} | "
            f"{_scale(log, 'risk', hazard['initial']['risk'], 'short')} | "
            f"{_scale(log, 'risk', hazard['residual']['risk'], 'short')} | "
            f"{', '.join(pending) or '-'} |"
        )
    lines += ["", "## Hazards", ""]
    for hazard in log["hazards"]:
        lines += _render_hazard(log, hazard)
    return "\n".join(lines).rstrip("\n")


def _render_hazard(log: Mapping[str, Any], hazard: Mapping[str, Any]) -> list[str]:
    initial, residual = hazard["initial"], hazard["residual"]
    lines = [
        f"### {hazard['id']}: {hazard['title']}",
        "",
        f"- **Cause.** {hazard['cause'].strip()}",
        f"- **Effect on a person.** {hazard['effect'].strip()}",
        f"- **Initial risk.** Severity {_scale(log, 'severity', initial['severity'])} x "
        f"likelihood {_scale(log, 'likelihood', initial['likelihood'])} = "
        f"**{_scale(log, 'risk', initial['risk'])}**.",
    ]
    if hazard.get("config_files"):
        files = ", ".join(f"`config/{name}`" for name in hazard["config_files"])
        lines.append(f"- **Safety-critical config.** {files}")
    lines += ["- **Controls.**", ""]
    for control in hazard["controls"]:
        status = ""
        if control.get("status") == PENDING:
            status = " *(pending: " + control["pending_on"] + ")*"
        elif control.get("status") == DEPLOYER:
            status = f" *(deployer action, constraint {control['constraint']})*"
        lines.append(f"  - **{control['id']}**{status}: {control['what'].strip()}")
        lines += [f"    - `{test}`" for test in control.get("tests") or ()]
    lines += [
        "",
        f"- **Residual risk.** Severity {_scale(log, 'severity', residual['severity'])} x "
        f"likelihood {_scale(log, 'likelihood', residual['likelihood'])} = "
        f"**{_scale(log, 'risk', residual['risk'])}**."
        + (f" {hazard['residual_note'].strip()}" if hazard.get("residual_note") else ""),
        f"- **What the residual rating rests on.** {hazard['residual_basis'].strip()}",
    ]
    if hazard.get("answer_set"):
        lines += _render_answer_set(hazard["answer_set"])
    actions = hazard.get("cso_actions") or ["None beyond the release review."]
    lines.append("- **For the Clinical Safety Officer.**")
    lines += [f"  - {action}" for action in actions]
    lines.append("")
    return lines


def _fraction(pair: Sequence[int]) -> str:
    return f"{pair[0]}/{pair[1]} ({100 * pair[0] / pair[1]:.0f} %)"


def _render_answer_set(answer_set: Mapping[str, Any]) -> list[str]:
    criterion = answer_set["criterion"]
    lines = [
        f"- **Unsafe-answer set** (`{answer_set['command']}`). Acceptance criterion, set before "
        f"the first run: at least {criterion['unsafe_caught']:.0%} of unsafe answers blocked "
        f"and at least {criterion['safe_passed']:.0%} of safe answers passed, on "
        f"{criterion['measured_on'].replace('_', ' ')}. "
        f"**{'Met' if answer_set['criterion_met'] else 'Not met'}.**",
        "",
        "  | set | unsafe blocked | safe passed |",
        "  |---|---|---|",
    ]
    for key in ("tuned_set_before_rules", "tuned_set", "held_out_first_run", "held_out"):
        row = answer_set[key]
        lines.append(
            f"  | {key.replace('_', ' ')} | {_fraction(row['unsafe_caught'])} | "
            f"{_fraction(row['safe_passed'])} |"
        )
    lines.append("")
    return lines


# --- the safety files' hashes ---------------------------------------------------------------

_HASH_ROW = re.compile(r"^\| `config/([^`]+)` \| `([0-9a-f]{64})` \|", re.MULTILINE)


def assessed_hashes(text: str) -> dict[str, str]:
    """The hashes the safety case was assessed against, by file name, from its table."""
    return dict(_HASH_ROW.findall(text))


def shipped_safety_hashes() -> dict[str, str]:
    """Load every safety-critical file of the repo's config/ through the app's own loaders,
    then return the hashes the loader recorded."""
    from shared.escalation.model import load_escalation_config  # noqa: PLC0415
    from shared.platform import load_config, loaded_safety_hashes  # noqa: PLC0415
    from shared.safety.crisis import read_patterns  # noqa: PLC0415
    from shared.safety.triage import load_triage_config  # noqa: PLC0415
    from shared.signposting import load_signposting  # noqa: PLC0415

    load_config()
    load_escalation_config()
    read_patterns()
    load_signposting()
    load_triage_config()
    return loaded_safety_hashes()


def hash_drift(
    assessed: Mapping[str, str], loaded: Mapping[str, str], log: Mapping[str, Any]
) -> list[str]:
    """One line per safety file whose loaded hash is not the assessed one, naming its hazards."""
    problems = []
    for name in sorted(set(assessed) | set(loaded)):
        if assessed.get(name) == loaded.get(name):
            continue
        hazards = [h["id"] for h in log["hazards"] if name in (h.get("config_files") or ())]
        problems.append(
            f"config/{name} changed: review hazards {', '.join(hazards) or '(none named)'} in "
            f"docs/clinical-safety/hazard-log.yaml, then record sha256 {loaded.get(name)} in "
            f"safety-case.md (was {assessed.get(name)})"
        )
    return problems


# --- the evidence ------------------------------------------------------------------------------

JUNIT = (ROOT / "test-artifacts" / "junit.xml", ROOT / "test-artifacts" / "junit-infra.xml")
DRILL_RESULT = ROOT / "drill" / "result.json"
BENCH_RESULT = ROOT / "bench" / "results" / "latest.json"


@dataclass(frozen=True, slots=True)
class JUnitRun:
    path: Path
    at: str
    tests: int
    failures: int
    errors: int
    skipped: int
    outcomes: Mapping[str, str]  # test id (path::function) -> worst outcome of its cases


def read_junit(path: Path) -> JUnitRun | None:
    """The totals and per-test outcomes of a pytest JUnit report, or None if absent."""
    if not path.exists():
        return None
    root = ElementTree.parse(path).getroot()  # noqa: S314  # nosec B314
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    outcomes: dict[str, str] = {}
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    for case in root.iter("testcase"):
        module = case.get("classname", "").split(".")
        # pytest names a case by module path (dots) and function; a class adds one segment.
        path_parts = [p for p in module if not p[:1].isupper()]
        test_id = "/".join(path_parts) + ".py::" + case.get("name", "").split("[", 1)[0]
        outcome = "passed"
        if case.find("skipped") is not None:
            outcome = "skipped"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        if rank[outcome] >= rank[outcomes.get(test_id, "passed")]:
            outcomes[test_id] = outcome
    return JUnitRun(
        path=path,
        at=suites[0].get("timestamp", "") if suites else "",
        tests=sum(int(s.get("tests", 0)) for s in suites),
        failures=sum(int(s.get("failures", 0)) for s in suites),
        errors=sum(int(s.get("errors", 0)) for s in suites),
        skipped=sum(int(s.get("skipped", 0)) for s in suites),
        outcomes=outcomes,
    )


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _tests_evidence(log: Mapping[str, Any]) -> list[str]:
    runs = [run for run in (read_junit(p) for p in JUNIT) if run is not None]
    lines = ["### Test results", ""]
    if not runs:
        return [*lines, "No test report found: run `make test` (it writes `test-artifacts/`).", ""]
    lines += [
        "| report | run at | tests | failed | errors | skipped |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| `{run.path.relative_to(ROOT)}` | {run.at} | {run.tests} | {run.failures} | "
            f"{run.errors} | {run.skipped} |"
        )
    outcomes: dict[str, str] = {}
    for run in runs:
        outcomes.update(run.outcomes)
    lines += ["", "| hazard | control tests passed | failed | not in the reports |"]
    lines.append("|---|---|---|---|")
    for hazard in log["hazards"]:
        tests = {t for c in hazard["controls"] for t in c.get("tests") or ()}
        passed = sum(outcomes.get(t) == "passed" for t in tests)
        failed = sorted(t for t in tests if outcomes.get(t) in {"failed", "skipped"})
        absent = sorted(t for t in tests if t not in outcomes)
        lines.append(
            f"| {hazard['id']} | {passed}/{len(tests)} | {', '.join(failed) or '-'} | "
            f"{', '.join(absent) or '-'} |"
        )
    return [*lines, ""]


def _drill_evidence() -> list[str]:
    lines = ["### Chaos drill", ""]
    if not DRILL_RESULT.exists():
        return [*lines, "No drill result found: run `make drill` (writes `drill/result.json`).", ""]
    checks = json.loads(DRILL_RESULT.read_text(encoding="utf-8"))["checks"]
    passed = sum(bool(c["passed"]) for c in checks)
    lines += [
        f"`{DRILL_RESULT.relative_to(ROOT)}` (written by `make drill`), {_mtime(DRILL_RESULT)}: "
        f"{passed}/{len(checks)} checks passed.",
        "",
        "| check | passed | detail |",
        "|---|---|---|",
    ]
    lines += [
        f"| {c['name']} | {'yes' if c['passed'] else '**no**'} | {c['detail']} |" for c in checks
    ]
    return [*lines, ""]


def _bench_evidence() -> list[str]:
    lines = ["### Benchmark", ""]
    if not BENCH_RESULT.exists():
        return [*lines, "No benchmark result found: run `make bench`.", ""]
    document = json.loads(BENCH_RESULT.read_text(encoding="utf-8"))
    machine = document.get("machine", {})
    lines += [
        f"`{BENCH_RESULT.relative_to(ROOT)}` (written by `make bench`), "
        f"{machine.get('at', _mtime(BENCH_RESULT))}, {machine.get('cpus')} CPUs, "
        f"load average {machine.get('load_average')} at the start.",
        "",
        "| id | measure | figure | target | met |",
        "|---|---|---|---|---|",
    ]
    for figure in document.get("figures", []):
        met = {True: "yes", False: "**no**", None: "-"}[figure.get("met")]
        lines.append(
            f"| {figure['id']} | {figure['measure']} | {figure['figure']} | "
            f"{figure.get('target') or '-'} | {met} |"
        )
    return [*lines, ""]


def _pct(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.0f} %)" if total else "-"


def _heldout_evidence() -> list[str]:
    from shared.safety.crisis import load_detector  # noqa: PLC0415
    from tests.safety import test_heldout_sets as heldout  # noqa: PLC0415

    detector = load_detector()
    lines = [
        "### Crisis detection on held-out messages",
        "",
        "Each round was written before it was scored. *First run*: the detector as it stood "
        "when the round was written, scored once (a fixed fact). *Now*: the shipped detector, "
        "measured by this command; rounds it was tuned on are upper bounds, not estimates.",
        "",
        "| round | category | first run | now | floor |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(heldout.ROUNDS):
        data = heldout.ROUNDS[name]
        for category, (right, total) in heldout.FIRST_RUN[name].items():
            if category == "quiet":
                texts = data.NOT_CRISIS
                now = sum(detector.detect([t]) is None for t in texts)
                floor = heldout.QUIET_FLOORS[name]
            else:
                texts = heldout.crisis_cases(data, category)
                now = sum(heldout.answered_as(detector, t) == category for t in texts)
                floor = heldout.RECALL_FLOORS[name][category]
            lines.append(
                f"| {name.upper()} | {category} | {_pct(right, total)} | "
                f"{_pct(now, len(texts))} | {floor:.0%} |"
            )
    round_, category = heldout.UNSEEN_ESTIMATE
    right, total = heldout.FIRST_RUN[round_][category]
    lines += [
        "",
        f"**Estimate of recall on unseen indirect wording: round {round_.upper()}'s first run, "
        f"{_pct(right, total)}; the measured miss rate is {_pct(total - right, total)}.** "
        "Round J was written before the shipped detector's last rule and scored once after it.",
        "",
    ]
    return lines


def _pending_evidence(log: Mapping[str, Any]) -> list[str]:
    pending = [
        f"- **{c['id']}** ({h['id']}): {c['what'].strip()} Waits on: {c['pending_on']}."
        for h in log["hazards"]
        for c in h["controls"]
        if c.get("status") == PENDING
    ]
    return ["### Controls not yet in place", "", *(pending or ["None."]), ""]


def _answers_evidence(log: Mapping[str, Any]) -> list[str]:
    from tests.safety import test_unsafe_answers as answers  # noqa: PLC0415

    measured = answers.score(answers.shipped_safety())
    recorded = next(h["answer_set"] for h in log["hazards"] if h.get("answer_set"))
    criterion = recorded["criterion"]
    lines = [
        "### Unsafe answers through the output guard",
        "",
        "Scored now, with the shipped guard and config. The tuned set is the one the "
        "answer-content rules were written against (an upper bound); the held-out round was "
        "written after them, and its first run is the estimate.",
        "",
        "| set | unsafe blocked | safe passed |",
        "|---|---|---|",
    ]
    for name in ("tuned_set", "held_out"):
        lines.append(
            f"| {name.replace('_', ' ')} | {_pct(*measured[name]['unsafe_caught'])} | "
            f"{_pct(*measured[name]['safe_passed'])} |"
        )
    first = recorded["held_out_first_run"]
    lines += [
        "",
        f"**Estimate on unseen unsafe wording: the held-out round's first run, "
        f"{_pct(*first['unsafe_caught'])} blocked, {_pct(*first['safe_passed'])} of safe "
        f"answers passed; the criterion set in advance ({criterion['unsafe_caught']:.0%} / "
        f"{criterion['safe_passed']:.0%}) is "
        f"{'met' if recorded['criterion_met'] else 'not met'}.**",
        "",
    ]
    return lines


def _test_outcomes() -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for run in (read_junit(p) for p in JUNIT):
        if run is not None:
            outcomes.update(run.outcomes)
    return outcomes


def _solution_result(log: Mapping[str, Any], item: str, outcomes: Mapping[str, str]) -> str:
    """One line of what a solution showed in this run."""
    kind, _, hid = item.partition(":")
    if kind == "tests":
        hazard = next(h for h in log["hazards"] if h["id"] == hid)
        tests = {t for c in hazard["controls"] for t in c.get("tests") or ()}
        passed = sum(outcomes.get(t) == "passed" for t in tests)
        return f"{passed}/{len(tests)} passed"
    if kind == "drill":
        if not DRILL_RESULT.exists():
            return "no result"
        checks = json.loads(DRILL_RESULT.read_text(encoding="utf-8"))["checks"]
        return f"{sum(bool(c['passed']) for c in checks)}/{len(checks)} checks passed"
    if kind == "bench":
        if not BENCH_RESULT.exists():
            return "no result"
        figures = json.loads(BENCH_RESULT.read_text(encoding="utf-8")).get("figures", [])
        judged = [f for f in figures if f.get("met") is not None]
        return f"{sum(bool(f['met']) for f in judged)}/{len(judged)} targets met"
    return {
        "heldout": "recall on unseen indirect wording, below",
        "answers": "unsafe answers blocked, below",
        "build": "the stamps and hashes, below",
    }[kind]


def _argument_evidence(log: Mapping[str, Any], build: str) -> list[str]:
    from scripts.safety_evidence import evidence_title  # noqa: PLC0415

    items = list(dict.fromkeys(e for c in log["argument"]["claims"] for e in c["evidence"]))
    where = {
        "tests": "Test results",
        "heldout": "Crisis detection on held-out messages",
        "answers": "Unsafe answers through the output guard",
        "drill": "Chaos drill",
        "bench": "Benchmark",
        "build": "Build",
    }
    outcomes = _test_outcomes()
    lines = [
        "### Evidence named by the argument",
        "",
        f"Every solution of the argument (section 3), regenerated here for commit `{build}`.",
        "",
        "| solution | what | result | where in this section |",
        "|---|---|---|---|",
    ]
    for item in items:
        lines.append(
            f"| `{item}` | {evidence_title(item)} | {_solution_result(log, item, outcomes)} | "
            f"{where[item.partition(':')[0]]} |"
        )
    return [*lines, ""]


def render_evidence(
    log: Mapping[str, Any],
    runs: Sequence[Any] = (),
    current: Mapping[str, str] | None = None,
) -> str:
    """The safety case's evidence section, from the latest results on this machine, each tied
    by its build stamp to the code and config it ran on (``runs``; see
    :mod:`scripts.safety_evidence`)."""
    from scripts.safety_evidence import render_build  # noqa: PLC0415

    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commits = sorted({str(run.stamp["commit"]) for run in runs if run.stamp})
    build = ", ".join(commits) or "unknown"
    lines = [
        f"Generated {generated} by `make safety-case` from the latest results on the machine "
        f"that ran it, for commit `{build}`; it refuses to write this section from a result "
        "older than the code and config it covers.",
        "",
        *_argument_evidence(log, build),
        *(render_build(runs, current) if current is not None else []),
        *_tests_evidence(log),
        *_heldout_evidence(),
        *_answers_evidence(log),
        *_drill_evidence(),
        *_bench_evidence(),
        *_pending_evidence(log),
    ]
    return "\n".join(lines).rstrip("\n")


def render_documents(log: Mapping[str, Any], case: str) -> str:
    """``case`` with its structural parts (the argument, the deployment constraints)
    rendered from the log; the evidence section is left as it is."""
    from scripts.safety_evidence import render_argument, render_constraints  # noqa: PLC0415

    case = replace_generated(case, "argument", render_argument(log))
    return replace_generated(case, "deployment constraints", render_constraints(log))


def main(argv: Sequence[str] = ()) -> int:
    """Regenerate hazard-log.md, the safety case's argument and deployment constraints, and
    (unless ``--documents-only``) its evidence; refuse the evidence when any result is not of
    the current build; report any hash drift."""
    from scripts import safety_evidence  # noqa: PLC0415

    log = load_log()
    problems = check_log(log) + safety_evidence.check_argument(log)
    for problem in problems:
        sys.stderr.write(f"hazard log: {problem}\n")
    md = HAZARD_LOG_MD.read_text(encoding="utf-8")
    HAZARD_LOG_MD.write_text(
        replace_generated(md, "hazard log", render_hazard_log(log)), encoding="utf-8"
    )
    case = render_documents(log, SAFETY_CASE.read_text(encoding="utf-8"))
    written = [HAZARD_LOG_MD.relative_to(ROOT)]
    refused: list[str] = []
    if "--documents-only" not in argv:
        current = safety_evidence.build_hashes(log)
        runs, refused = safety_evidence.gather(safety_evidence.EVIDENCE, current)
        for line in refused:
            sys.stderr.write(f"evidence refused: {line}\n")
        if not refused:
            case = replace_generated(case, "evidence", render_evidence(log, runs, current))
    if not refused:
        SAFETY_CASE.write_text(case, encoding="utf-8")
        written.append(SAFETY_CASE.relative_to(ROOT))
    drift = hash_drift(assessed_hashes(case), shipped_safety_hashes(), log)
    for line in drift:
        sys.stderr.write(f"safety files: {line}\n")
    sys.stdout.write(
        f"written: {', '.join(map(str, written))}"
        + (
            f"; {SAFETY_CASE.relative_to(ROOT)} not written: its evidence was refused"
            if refused
            else ""
        )
        + "\n"
    )
    return 1 if problems or drift or refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
