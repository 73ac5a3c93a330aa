"""Evidence tied to a build, and the safety case's structural parts.

**Build stamps.** Each evidence run (``make pytest``, ``make infra-pytest``, ``make drill``,
``make bench``) first writes a stamp beside its result: the commit id, whether the work tree
differed from it, the SHA-256 of every safety-critical code group and config file (the groups
are listed under ``safety_critical_code`` in ``hazard-log.yaml``), and the time::

    python -m scripts.safety_evidence stamp test-artifacts/junit.stamp.json

:func:`stale_evidence` compares each stamp with the code as it is now. ``make safety-case``
refuses to write the evidence when any result has no stamp, was written before its stamp, or
was produced from code or config other than the code and config it would be written against.

**The argument** (``argument`` in ``hazard-log.yaml``) is rendered as a GSN-style Mermaid
diagram: the top claim, a strategy, one sub-claim per hazard group, the deployer's constraints
as assumptions, and solutions that each name a piece of evidence :mod:`scripts.clinical_safety`
regenerates. **The deployment constraints** (``deployment_constraints``) are rendered as the
checklist the deploying organisation's Clinical Safety Officer works through under DCB0160.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"

# Evidence results and the stamp each run writes before it starts.
EVIDENCE: Mapping[str, tuple[Path, Path]] = {
    "tests": (ROOT / "test-artifacts" / "junit.xml", ROOT / "test-artifacts" / "junit.stamp.json"),
    "infra tests": (
        ROOT / "test-artifacts" / "junit-infra.xml",
        ROOT / "test-artifacts" / "junit-infra.stamp.json",
    ),
    "drill": (ROOT / "drill" / "result.json", ROOT / "drill" / "result.stamp.json"),
    "bench": (
        ROOT / "bench" / "results" / "latest.json",
        ROOT / "bench" / "results" / "latest.stamp.json",
    ),
}

# Evidence the argument may name, besides ``tests:Hxx`` (a hazard's control tests).
EVIDENCE_KINDS: Mapping[str, str] = {
    "heldout": "held-out crisis messages, scored now",
    "answers": "unsafe-answer set, scored now",
    "drill": "chaos drill result",
    "bench": "benchmark figures",
    "build": "commit and hashes of the code and config the evidence ran on",
}


# --- hashes of the build -----------------------------------------------------------------


def _files(root: Path, patterns: Iterable[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def group_hash(root: Path, patterns: Iterable[str]) -> str:
    """SHA-256 over the paths and bytes of every file the glob ``patterns`` name under
    ``root``, in path order: a renamed, added, removed or changed file changes it."""
    digest = hashlib.sha256()
    files = _files(root, patterns)
    if not files:
        msg = f"no file matches {list(patterns)}"
        raise ValueError(msg)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_hashes(log: Mapping[str, Any], root: Path = ROOT) -> dict[str, str]:
    """The hash of each safety-critical code group and of each safety-critical config file."""
    from shared.platform import SAFETY_CRITICAL_FILES  # noqa: PLC0415

    hashes = {
        f"code:{group['name']}": group_hash(root, group["paths"])
        for group in log["safety_critical_code"]
    }
    for name in sorted(SAFETY_CRITICAL_FILES):
        hashes[f"config:{name}"] = hashlib.sha256((root / "config" / name).read_bytes()).hexdigest()
    return hashes


def _git(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", *args],  # noqa: S607 - git from PATH, as make does
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def stamp(log: Mapping[str, Any], now: datetime, root: Path = ROOT) -> dict[str, Any]:
    """What an evidence run records before it starts."""
    return {
        "commit": _git("rev-parse", "HEAD") or "unknown",
        "work_tree_differs": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "hashes": build_hashes(log, root),
        "started_at": now.astimezone(UTC).isoformat(timespec="seconds"),
    }


# --- is the evidence of this build? -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Provenance:
    """One evidence run: its result, its stamp (None if absent), and when the result was made."""

    name: str
    result: Path
    stamp: Mapping[str, Any] | None
    result_at: datetime | None


def _parse_time(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def junit_time(path: Path) -> datetime | None:
    """When a pytest JUnit report's run started (its first suite's ``timestamp``)."""
    from xml.etree import ElementTree  # noqa: PLC0415  # nosec B405

    root = ElementTree.parse(path).getroot()  # noqa: S314  # nosec B314
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    return _parse_time(suite.get("timestamp", "")) if suite is not None else None


def provenance(name: str, result: Path, stamp_path: Path) -> Provenance | None:
    """The provenance of one evidence run, or None if it has no result on this machine."""
    if not result.exists():
        return None
    at = (
        junit_time(result)
        if result.suffix == ".xml"
        else datetime.fromtimestamp(result.stat().st_mtime, UTC)
    )
    recorded = json.loads(stamp_path.read_text(encoding="utf-8")) if stamp_path.exists() else None
    return Provenance(name, result, recorded, at)


def stale_evidence(runs: Sequence[Provenance], current: Mapping[str, str]) -> list[str]:
    """Why each run is not evidence for the build whose hashes are ``current`` (empty if
    all are)."""
    problems: list[str] = []
    for run in runs:
        where = run.result.relative_to(ROOT) if run.result.is_relative_to(ROOT) else run.result
        if run.stamp is None:
            problems.append(f"{run.name}: {where} has no build stamp; rerun it with make")
            continue
        started = _parse_time(str(run.stamp.get("started_at", "")))
        if started is None or run.result_at is None or run.result_at < started:
            problems.append(
                f"{run.name}: {where} is older than its build stamp ({run.result_at} < "
                f"{started}); it is a result of an earlier run"
            )
        recorded: Mapping[str, str] = run.stamp.get("hashes") or {}
        changed = sorted(
            k for k in set(current) | set(recorded) if current.get(k) != recorded.get(k)
        )
        if changed:
            problems.append(
                f"{run.name}: {where} ran on other code or config than this build "
                f"({', '.join(changed)} changed since); rerun it"
            )
    return problems


def gather(
    evidence: Mapping[str, tuple[Path, Path]], current: Mapping[str, str]
) -> tuple[list[Provenance], list[str]]:
    """The evidence runs found on this machine, and why any of them (or a missing test run)
    cannot be evidence for the build whose hashes are ``current``."""
    runs = [
        run
        for name, (result, stamp_path) in evidence.items()
        if (run := provenance(name, result, stamp_path)) is not None
    ]
    refused = stale_evidence(runs, current)
    if not any(run.name == "tests" for run in runs):
        refused.append("tests: no JUnit report of `make test` on this machine; run it first")
    return runs, refused


def render_build(runs: Sequence[Provenance], current: Mapping[str, str]) -> list[str]:
    """The evidence section's build table: what each run ran on, and every hash of this build."""
    lines = [
        "### Build",
        "",
        "| evidence run | commit | work tree differed | started | result written |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        assert run.stamp is not None  # noqa: S101 - stale runs are refused before this
        lines.append(
            f"| {run.name} | `{run.stamp['commit']}` | "
            f"{'yes' if run.stamp.get('work_tree_differs') else 'no'} | "
            f"{run.stamp['started_at']} | {run.result_at:%Y-%m-%dT%H:%M:%S%z} |"
        )
    lines += ["", "| code or config | SHA-256 |", "|---|---|"]
    lines += [f"| {name} | `{digest}` |" for name, digest in sorted(current.items())]
    return [*lines, ""]


# --- the argument ------------------------------------------------------------------------------


def _label(text: str) -> str:
    return " ".join(text.split()).replace('"', "#quot;")


def _cell(text: str) -> str:
    """``text`` on one line, safe in a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def evidence_name(item: str) -> str:
    """A solution's node id for an evidence item (``tests:H01`` -> ``Sn_tests_H01``)."""
    return "Sn_" + item.replace(":", "_")


def evidence_title(item: str) -> str:
    """What a solution node says it is."""
    kind, _, hazard = item.partition(":")
    if kind == "tests":
        return f"control tests of {hazard} in the JUnit reports"
    return EVIDENCE_KINDS[kind]


def check_argument(log: Mapping[str, Any]) -> list[str]:
    """Problems with the argument: every hazard under one sub-claim, the control tests of every
    hazard that has any named as evidence there (and of no hazard without), every evidence
    item known, and every assumption a deployment constraint."""
    argument = log["argument"]
    hazards = [h["id"] for h in log["hazards"]]
    constraints = {c["id"] for c in log["deployment_constraints"]}
    problems: list[str] = []
    placed: dict[str, str] = {}
    for claim in argument["claims"]:
        for hid in claim["hazards"]:
            if hid in placed:
                problems.append(f"{hid} is under both {placed[hid]} and {claim['id']}")
            placed[hid] = claim["id"]
            if hid not in hazards:
                problems.append(f"{claim['id']}: {hid} is not in the hazard log")
            tested = hid in hazards and any(
                c.get("tests") for c in log["hazards"][hazards.index(hid)]["controls"]
            )
            if tested != (f"tests:{hid}" in claim["evidence"]):
                problems.append(
                    f"{claim['id']}: the control tests of {hid} are not its evidence"
                    if tested
                    else f"{claim['id']}: {hid} has no tested control; tests:{hid} proves nothing"
                )
        for item in claim["evidence"]:
            kind, _, hid = item.partition(":")
            if (kind == "tests" and hid not in hazards) or (
                kind != "tests" and kind not in EVIDENCE_KINDS
            ):
                problems.append(f"{claim['id']}: unknown evidence {item!r}")
        problems += [
            f"{claim['id']}: assumption {a} is not a deployment constraint"
            for a in claim.get("assumptions", ())
            if a not in constraints
        ]
    problems += [f"{hid} is under no sub-claim" for hid in hazards if hid not in placed]
    return problems


def render_argument(log: Mapping[str, Any]) -> str:
    """The argument as a Mermaid flowchart in GSN style, and a table of its sub-claims."""
    argument = log["argument"]
    top, strategy = argument["claim"], argument["strategy"]
    lines = [
        "```mermaid",
        "flowchart TB",
        f'  {top["id"]}["{top["id"]}: {_label(top["text"])}"]',
        f'  {strategy["id"]}[/"{strategy["id"]}: {_label(strategy["text"])}"/]',
        f"  {top['id']} --> {strategy['id']}",
    ]
    for context in argument.get("context", ()):
        lines += [
            f'  {context["id"]}("{context["id"]}: {_label(context["text"])}")',
            f"  {top['id']} -.- {context['id']}",
        ]
    solutions: list[str] = []
    for claim in argument["claims"]:
        cid = claim["id"]
        lines += [
            f'  {cid}["{cid}: {_label(claim["text"])}<br/>hazards {", ".join(claim["hazards"])}"]',
            f"  {strategy['id']} --> {cid}",
            f'  {cid}_A[/"argument: {_label(claim["argument"])}"/]',
            f"  {cid} --> {cid}_A",
        ]
        if claim.get("assumptions"):
            # One assumption node per sub-claim (GSN "A"), naming the deployment constraints.
            lines += [
                f'  {cid}_As>"assumes {", ".join(claim["assumptions"])} (section 7)"]',
                f"  {cid} -.- {cid}_As",
            ]
        # Each sub-claim gets its own solution nodes, so the tree reads without crossings;
        # the same evidence item may appear under several sub-claims.
        for item in claim["evidence"]:
            node = f"{cid}_{evidence_name(item)}"
            solutions.append(node)
            lines += [f'  {node}(("{item}"))', f"  {cid}_A --> {node}"]
    lines += [
        "  classDef goal fill:#e8f0fe,stroke:#1a73e8",
        "  classDef sol fill:#e6f4ea,stroke:#188038",
        f"  class {top['id']},{','.join(c['id'] for c in argument['claims'])} goal",
        f"  class {','.join(solutions)} sol",
        "```",
        "",
        "| sub-claim | hazards | argument | evidence (section 4) | assumptions (section 7) |",
        "|---|---|---|---|---|",
    ]
    for claim in argument["claims"]:
        lines.append(
            f"| **{claim['id']}** {_cell(claim['text'])} | {', '.join(claim['hazards'])} | "
            f"{_cell(claim['argument'])} | "
            f"{'; '.join(f'`{e}` ({evidence_title(e)})' for e in claim['evidence'])} | "
            f"{', '.join(claim.get('assumptions', ())) or '-'} |"
        )
    return "\n".join(lines)


def render_constraints(log: Mapping[str, Any]) -> str:
    """The deploying organisation's checklist (DCB0160), one row per constraint."""
    lines = [
        "| id | the deploying organisation must | how to verify it | hazards | done (date, by) |",
        "|---|---|---|---|---|",
    ]
    for item in log["deployment_constraints"]:
        hazards = sorted(
            h["id"]
            for h in log["hazards"]
            for c in h["controls"]
            if c.get("constraint") == item["id"]
        )
        lines.append(
            f"| {item['id']} | {_cell(item['text'])} | {_cell(item['verify'])} | "
            f"{', '.join(hazards) or '-'} | |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """``stamp PATH``: write the build stamp of an evidence run that is about to start."""
    from scripts.clinical_safety import load_log  # noqa: PLC0415

    if len(argv) != 2 or argv[0] != "stamp":
        sys.stderr.write("usage: python -m scripts.safety_evidence stamp PATH\n")
        return 2
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        json.dumps(stamp(load_log(), datetime.now(UTC)), indent=2) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
