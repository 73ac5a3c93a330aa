"""Measure a crisis detector on held-out message sets, against the acceptance criteria.

    python -m scripts.evaluate_crisis --detector patterns tests/safety/heldout/round_k.json ...

With no file, every set under ``tests/safety/heldout/`` is read. For each category it prints
recall on explicit and on indirect messages apart (a message answered with another category
is not recalled, and is counted as a wrong category too), the false-alarm rate on the messages
that must not fire, a table per taxonomy class and one per language, and each acceptance
criterion with whether it is met. ``--json`` prints the same as one JSON document.

The criteria are not defined here: they are read from hazard H01's ``acceptance`` block in
``docs/clinical-safety/hazard-log.yaml``, where they were set before any set was scored.
``--write-safety-case`` rewrites the safety case's generated ``acceptance`` part from this
run; ``tests/safety/test_acceptance_criteria.py`` fails when that part no longer says what the
shipped detector measures. ``--gate`` exits 1 when a criterion is not met (a release gate).

Detectors are a registry (:data:`DETECTORS`): a name and a factory that takes the run's
:class:`DetectorOptions` and returns an object with ``detect(user_turns) -> CrisisMatch |
None``. Another detector is one more entry. Each message is scored alone, as the only user turn.

A held-out set is a JSON file written before it is scored (see ``tests/safety/heldout/``):
``{"set", "written", "description", "sources": {id: {"title", "url", "checked"}},
"messages": [{"id", "text", "expected", "class", "wording", "language", "source"}]}``.
``expected`` is a category or ``none``; ``wording`` is ``explicit`` or ``indirect`` for a
crisis message and ``near_miss`` or ``ordinary`` for one that must not fire.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import yaml

from shared.safety import BUILT_IN_DETECTOR, CrisisMatch, load_detector
from shared.safety.crisis import DEFAULT_PATTERNS_PATH

ROOT = Path(__file__).resolve().parents[1]
HELDOUT_DIR = ROOT / "tests" / "safety" / "heldout"
HAZARD_LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.yaml"
SAFETY_CASE = ROOT / "docs" / "clinical-safety" / "safety-case.md"
ACCEPTANCE_HAZARD = "H01"
SAFETY_CASE_PART = "acceptance"

CATEGORIES = ("self_harm", "medical_emergency", "safeguarding")
NONE = "none"
CRISIS_WORDINGS = ("explicit", "indirect")
QUIET_WORDINGS = ("near_miss", "ordinary")
MESSAGE_FIELDS = ("id", "text", "expected", "class", "wording", "language", "source")


class SetError(ValueError):
    """A held-out set file is unreadable or breaks the format; the message names where."""


# --- detectors ---------------------------------------------------------------------------------


class Detector(Protocol):
    """What the evaluation needs of a detector: the crisis in the user turns, or None."""

    def detect(self, user_turns: Sequence[str]) -> CrisisMatch | None: ...


@dataclass(frozen=True, slots=True)
class DetectorOptions:
    """Options a detector factory may use; ``patterns`` is the pattern file (default: the
    repo's ``config/crisis-patterns.json``)."""

    patterns: Path | None = None


DetectorFactory = Callable[[DetectorOptions], Detector]


def _patterns(options: DetectorOptions) -> Detector:
    return load_detector(options.patterns)


def _builtin(_: DetectorOptions) -> Detector:
    return BUILT_IN_DETECTOR


def _triage(options: DetectorOptions) -> Detector:
    # The language-model triage on the first tier the policy permits, from the provider
    # settings in the environment (scripts/triage_detector.py); imported only when asked for,
    # by name (scripts/ is not a package, so a static import would name the module twice).
    module = importlib.import_module("scripts.triage_detector")
    detector: Detector = module.command_line_detector(options)
    return detector


DETECTORS: dict[str, DetectorFactory] = {
    "patterns": _patterns,
    "builtin": _builtin,
    "triage": _triage,
}


# --- held-out sets -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One held-out message and what it should get."""

    id: str
    text: str
    expected: str
    cls: str
    wording: str
    language: str
    source: str

    @property
    def crisis(self) -> bool:
        return self.expected != NONE


@dataclass(frozen=True, slots=True)
class HeldOutSet:
    """A held-out set as read from its file; ``sha256`` is the file's bytes' hash."""

    name: str
    path: Path
    sha256: str
    messages: tuple[Message, ...]


def load_set(path: Path) -> HeldOutSet:
    """Read and check one set file; a :class:`SetError` names the file and the message."""
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        msg = f"{path.name}: not JSON ({exc})"
        raise SetError(msg) from exc
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        msg = f"{path.name}: expected an object with a 'messages' list"
        raise SetError(msg)
    sources = data.get("sources")
    if not isinstance(sources, dict):
        msg = f"{path.name}: expected a 'sources' object"
        raise SetError(msg)
    for key, source in sources.items():
        _check_source(path.name, key, source)
    seen: set[str] = set()
    messages = []
    for index, item in enumerate(data["messages"]):
        message = _message(path.name, index, item, sources)
        if message.id in seen:
            msg = f"{path.name}: message id {message.id!r} is used twice"
            raise SetError(msg)
        seen.add(message.id)
        messages.append(message)
    return HeldOutSet(
        name=str(data.get("set") or path.stem),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        messages=tuple(messages),
    )


def _check_source(file: str, key: str, source: object) -> None:
    if not isinstance(source, dict):
        msg = f"{file}: source {key!r} must be an object"
        raise SetError(msg)
    for name in ("title", "url", "checked"):
        if not isinstance(source.get(name), str) or not source[name].strip():
            msg = f"{file}: source {key!r} needs a non-empty {name!r}"
            raise SetError(msg)
    if not source["url"].startswith(("https://", "http://")):
        msg = f"{file}: source {key!r} url must be a web address"
        raise SetError(msg)


def _message(file: str, index: int, item: object, sources: Mapping[str, Any]) -> Message:
    where = f"{file}: message {index}"
    if not isinstance(item, dict):
        msg = f"{where} must be an object"
        raise SetError(msg)
    where = f"{file}: message {item.get('id', index)!r}"
    for name in MESSAGE_FIELDS:
        if not isinstance(item.get(name), str) or not item[name].strip():
            msg = f"{where} needs a non-empty string {name!r}"
            raise SetError(msg)
    expected, wording, cls = item["expected"], item["wording"], item["class"]
    if expected not in (*CATEGORIES, NONE):
        msg = f"{where}: expected {expected!r} is not one of {(*CATEGORIES, NONE)}"
        raise SetError(msg)
    allowed = QUIET_WORDINGS if expected == NONE else CRISIS_WORDINGS
    if wording not in allowed:
        msg = f"{where}: wording {wording!r} must be one of {allowed} when expected is {expected!r}"
        raise SetError(msg)
    if cls.split(".", 1)[0] != expected:
        msg = f"{where}: class {cls!r} does not start with its expected category {expected!r}"
        raise SetError(msg)
    if item["source"] not in sources:
        msg = f"{where}: source {item['source']!r} is not in the set's 'sources'"
        raise SetError(msg)
    return Message(
        id=item["id"],
        text=item["text"],
        expected=expected,
        cls=cls,
        wording=wording,
        language=item["language"],
        source=item["source"],
    )


def default_sets() -> list[Path]:
    """Every set file under ``tests/safety/heldout/``, in name order."""
    return sorted(HELDOUT_DIR.glob("*.json"))


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the detector answered for one message: a category, or None for no crisis."""

    message: Message
    answered: str | None

    @property
    def right(self) -> bool:
        return self.answered == (None if self.message.expected == NONE else self.message.expected)


def score(detector: Detector, messages: Iterable[Message]) -> tuple[Outcome, ...]:
    """Each message alone, as the only user turn."""
    outcomes = []
    for message in messages:
        match = detector.detect([message.text])
        outcomes.append(Outcome(message, match.category if match else None))
    return tuple(outcomes)


@dataclass(frozen=True, slots=True)
class Tally:
    """``count`` of ``total`` (recalled of crisis messages, or fired of quiet ones)."""

    count: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.count / self.total if self.total else None

    def text(self) -> str:
        rate = self.rate
        return f"{self.count}/{self.total} ({rate:.1%})" if rate is not None else "-"


@dataclass(frozen=True, slots=True)
class CategoryFigures:
    """Recall on one category's explicit and indirect messages, and its wrong answers."""

    category: str
    explicit: Tally
    indirect: Tally
    wrong_category: int
    missed: int


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One row of a breakdown: crisis messages recalled, quiet messages that fired."""

    name: str
    recalled: Tally
    wrong_category: int
    false_alarms: Tally


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything measured in one run."""

    categories: tuple[CategoryFigures, ...]
    false_alarms: Tally
    false_alarms_as: dict[str, int]
    classes: tuple[GroupFigures, ...]
    languages: tuple[GroupFigures, ...]


def figures(outcomes: Sequence[Outcome]) -> Figures:
    """The per-category, per-class and per-language figures of ``outcomes``."""
    quiet = [o for o in outcomes if not o.message.crisis]
    return Figures(
        categories=tuple(_category(c, outcomes) for c in CATEGORIES),
        false_alarms=Tally(sum(o.answered is not None for o in quiet), len(quiet)),
        false_alarms_as=dict(sorted(Counter(o.answered for o in quiet if o.answered).items())),
        classes=_groups(outcomes, lambda o: o.message.cls),
        languages=_groups(outcomes, lambda o: o.message.language),
    )


def _category(category: str, outcomes: Sequence[Outcome]) -> CategoryFigures:
    mine = [o for o in outcomes if o.message.expected == category]

    def recall(wording: str) -> Tally:
        group = [o for o in mine if o.message.wording == wording]
        return Tally(sum(o.right for o in group), len(group))

    return CategoryFigures(
        category=category,
        explicit=recall("explicit"),
        indirect=recall("indirect"),
        wrong_category=sum(o.answered not in (None, category) for o in mine),
        missed=sum(o.answered is None for o in mine),
    )


def _groups(outcomes: Sequence[Outcome], key: Callable[[Outcome], str]) -> tuple[GroupFigures, ...]:
    names = sorted({key(o) for o in outcomes})
    rows = []
    for name in names:
        group = [o for o in outcomes if key(o) == name]
        crisis = [o for o in group if o.message.crisis]
        quiet = [o for o in group if not o.message.crisis]
        rows.append(
            GroupFigures(
                name=name,
                recalled=Tally(sum(o.right for o in crisis), len(crisis)),
                wrong_category=sum(o.answered not in (None, o.message.expected) for o in crisis),
                false_alarms=Tally(sum(o.answered is not None for o in quiet), len(quiet)),
            )
        )
    return tuple(rows)


# --- acceptance criteria -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criteria:
    """Recall floors per category and wording, and the false-alarm ceiling."""

    explicit_recall: float
    indirect_recall: float
    false_alarm_rate: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """One criterion against one measured figure."""

    criterion: str
    measured: Tally
    bound: float
    met: bool


def acceptance(log_path: Path = HAZARD_LOG) -> dict[str, Any]:
    """Hazard H01's ``acceptance`` block from the hazard log."""
    log = yaml.safe_load(log_path.read_text(encoding="utf-8"))
    for hazard in log["hazards"]:
        if hazard["id"] == ACCEPTANCE_HAZARD:
            block: dict[str, Any] = hazard["acceptance"]
            return block
    msg = f"{log_path.name}: no hazard {ACCEPTANCE_HAZARD}"
    raise KeyError(msg)


def load_criteria(log_path: Path = HAZARD_LOG) -> Criteria:
    """The acceptance criteria as the hazard log states them."""
    stated = acceptance(log_path)["criteria"]
    return Criteria(
        explicit_recall=float(stated["explicit_recall"]),
        indirect_recall=float(stated["indirect_recall"]),
        false_alarm_rate=float(stated["false_alarm_rate"]),
    )


def judge(measured: Figures, criteria: Criteria) -> tuple[Verdict, ...]:
    """Each criterion: recall at least its floor per category and wording; false alarms at
    most the ceiling. A figure with no messages behind it is not met."""
    verdicts = []
    for row in measured.categories:
        for wording, tally, bound in (
            ("explicit", row.explicit, criteria.explicit_recall),
            ("indirect", row.indirect, criteria.indirect_recall),
        ):
            rate = tally.rate
            verdicts.append(
                Verdict(
                    f"{row.category} {wording} recall",
                    tally,
                    bound,
                    rate is not None and rate >= bound,
                )
            )
    rate = measured.false_alarms.rate
    verdicts.append(
        Verdict(
            "false alarms",
            measured.false_alarms,
            criteria.false_alarm_rate,
            rate is not None and rate <= criteria.false_alarm_rate,
        )
    )
    return tuple(verdicts)


# --- reports -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """One evaluation: which detector, on which sets, what it measured, and the verdicts."""

    detector: str
    patterns_sha256: str | None
    sets: tuple[HeldOutSet, ...]
    outcomes: tuple[Outcome, ...]
    measured: Figures
    verdicts: tuple[Verdict, ...]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def evaluate(
    name: str,
    detector: Detector,
    sets: Sequence[HeldOutSet],
    criteria: Criteria,
    patterns: Path | None = None,
) -> Run:
    """Score ``detector`` on every message of ``sets`` and judge the figures."""
    outcomes = score(detector, [m for s in sets for m in s.messages])
    measured = figures(outcomes)
    counts: dict[str, dict[str, int]] = {}
    for message in (o.message for o in outcomes):
        row = counts.setdefault(message.expected, {})
        row[message.wording] = row.get(message.wording, 0) + 1
    patterns_hash = None
    if name == "patterns":
        patterns_hash = hashlib.sha256((patterns or DEFAULT_PATTERNS_PATH).read_bytes()).hexdigest()
    return Run(
        detector=name,
        patterns_sha256=patterns_hash,
        sets=tuple(sets),
        outcomes=outcomes,
        measured=measured,
        verdicts=judge(measured, criteria),
        counts={k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
    )


def as_json(run: Run) -> dict[str, Any]:
    """The run as one JSON-ready document (no message text, only ids of misses)."""

    def tally(t: Tally) -> dict[str, Any]:
        return {"count": t.count, "total": t.total, "rate": t.rate}

    def group(g: GroupFigures) -> dict[str, Any]:
        return {
            "name": g.name,
            "recalled": tally(g.recalled),
            "wrong_category": g.wrong_category,
            "false_alarms": tally(g.false_alarms),
        }

    return {
        "detector": run.detector,
        "patterns_sha256": run.patterns_sha256,
        "sets": [
            {"set": s.name, "file": s.path.name, "sha256": s.sha256, "messages": len(s.messages)}
            for s in run.sets
        ],
        "counts": run.counts,
        "categories": {
            c.category: {
                "explicit_recall": tally(c.explicit),
                "indirect_recall": tally(c.indirect),
                "wrong_category": c.wrong_category,
                "missed": c.missed,
            }
            for c in run.measured.categories
        },
        "false_alarms": tally(run.measured.false_alarms),
        "false_alarms_as": run.measured.false_alarms_as,
        "classes": [group(g) for g in run.measured.classes],
        "languages": [group(g) for g in run.measured.languages],
        "criteria": [{**asdict(v), "measured": tally(v.measured)} for v in run.verdicts],
        "all_met": all(v.met for v in run.verdicts),
        "not_right": [
            {"id": o.message.id, "expected": o.message.expected, "answered": o.answered}
            for o in run.outcomes
            if not o.right
        ],
    }


def render_text(run: Run) -> str:
    """The run as a plain-text report for a terminal."""
    m = run.measured
    lines = [f"detector: {run.detector}"]
    if run.patterns_sha256:
        lines.append(f"pattern file sha256: {run.patterns_sha256}")
    lines += [f"set {s.name}: {s.path.name} sha256 {s.sha256}" for s in run.sets]
    lines += ["", f"{'category':<20}{'explicit recall':<22}{'indirect recall':<22}wrong category"]
    for c in m.categories:
        lines.append(
            f"{c.category:<20}{c.explicit.text():<22}{c.indirect.text():<22}{c.wrong_category}"
        )
    by = ", ".join(f"{k} {v}" for k, v in m.false_alarms_as.items()) or "-"
    lines += ["", f"false alarms on messages that must not fire: {m.false_alarms.text()} ({by})"]
    lines += ["", "criterion                            measured              bound    met"]
    for v in run.verdicts:
        sign = "<=" if v.criterion == "false alarms" else ">="
        lines.append(
            f"{v.criterion:<37}{v.measured.text():<22}{sign}{v.bound:<7.0%}"
            f"{'yes' if v.met else 'NO'}"
        )
    for title, rows in (("class", m.classes), ("language", m.languages)):
        lines += ["", f"{title:<48}{'recalled':<20}{'wrong':<7}false alarms"]
        lines += [
            f"{g.name:<48}{g.recalled.text():<20}{g.wrong_category:<7}{g.false_alarms.text()}"
            for g in rows
        ]
    return "\n".join(lines)


def render_safety_case(run: Run) -> str:
    """The safety case's generated ``acceptance`` part: criteria and figures side by side.

    Deterministic (no dates), so a test can compare it with a fresh run."""
    files = " ".join(f"tests/safety/heldout/{s.path.name}" for s in run.sets)
    lines = [
        f"Measured by `python -m scripts.evaluate_crisis --detector {run.detector} "
        f"--write-safety-case {files}`"
        + (f", pattern file sha256 `{run.patterns_sha256}`." if run.patterns_sha256 else "."),
        "The criteria were set in advance in the hazard log (H01, `acceptance`); each set was "
        "committed on its own, before anything scored it.",
        "",
        "| set | sha256 | crisis messages | must not fire |",
        "|---|---|---|---|",
    ]
    for s in run.sets:
        crisis = sum(m.crisis for m in s.messages)
        lines.append(f"| {s.name.upper()} | `{s.sha256}` | {crisis} | {len(s.messages) - crisis} |")
    lines += [
        "",
        "| criterion | measured | criterion set in advance | met |",
        "|---|---|---|---|",
    ]
    for v in run.verdicts:
        sign = "≤" if v.criterion == "false alarms" else "≥"
        lines.append(
            f"| {v.criterion} | {v.measured.text()} | {sign} {v.bound:.0%} | "
            f"{'yes' if v.met else '**no**'} |"
        )
    lines += [
        "",
        "| category | messages answered with another category |",
        "|---|---|",
        *(f"| {c.category} | {c.wrong_category} |" for c in run.measured.categories),
    ]
    return "\n".join(lines)


def markers(name: str) -> tuple[str, str]:
    """The comment lines that open and close a generated part of a document."""
    return (
        f"<!-- begin generated: {name} (`python -m scripts.evaluate_crisis`; do not edit) -->",
        f"<!-- end generated: {name} -->",
    )


def safety_case_part(text: str) -> str:
    """The generated ``acceptance`` part of the safety case's text."""
    begin, end = markers(SAFETY_CASE_PART)
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        msg = f"the safety case has no generated part {SAFETY_CASE_PART!r}"
        raise ValueError(msg)
    return text[start + len(begin) : stop].strip("\n")


def with_safety_case_part(text: str, content: str) -> str:
    """``text`` with its generated ``acceptance`` part replaced by ``content``."""
    begin, end = markers(SAFETY_CASE_PART)
    safety_case_part(text)  # raises when the markers are missing
    start, stop = text.find(begin) + len(begin), text.find(end)
    return f"{text[:start]}\n{content}\n{text[stop:]}"


# --- command line ------------------------------------------------------------------------------


def _parser(detectors: Mapping[str, DetectorFactory]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.evaluate_crisis",
        description="Measure a crisis detector on held-out sets against the acceptance criteria.",
    )
    parser.add_argument("--detector", choices=sorted(detectors), default="patterns")
    parser.add_argument("--patterns", type=Path, help="pattern file for --detector patterns")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--write-safety-case",
        action="store_true",
        help="rewrite the safety case's generated acceptance part from this run",
    )
    parser.add_argument("--gate", action="store_true", help="exit 1 if a criterion is not met")
    parser.add_argument("files", nargs="*", type=Path, help="set files (default: all)")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    detectors: Mapping[str, DetectorFactory] = DETECTORS,
    out: TextIO = sys.stdout,
    safety_case: Path = SAFETY_CASE,
    hazard_log: Path = HAZARD_LOG,
) -> int:
    """Run the command line; 0 unless a set is unreadable, or ``--gate`` and a criterion fails."""
    args = _parser(detectors).parse_args(argv)
    try:
        sets = [load_set(path) for path in (args.files or default_sets())]
    except (OSError, SetError) as exc:
        sys.stderr.write(f"evaluate_crisis: {exc}\n")
        return 2
    detector = detectors[args.detector](DetectorOptions(patterns=args.patterns))
    run = evaluate(args.detector, detector, sets, load_criteria(hazard_log), args.patterns)
    out.write((json.dumps(as_json(run), indent=1) if args.json else render_text(run)) + "\n")
    if args.write_safety_case:
        text = safety_case.read_text(encoding="utf-8")
        safety_case.write_text(
            with_safety_case_part(text, render_safety_case(run)), encoding="utf-8"
        )
    return 1 if args.gate and not all(v.met for v in run.verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
