"""The red-flag taxonomy for clinical reviewers, generated from the pattern file.

``config/crisis-patterns.json`` holds the classes (``classes``: id, description, sources, the
signals that cover each). This writes them as tables into ``config/README-crisis-patterns.md``,
between the ``taxonomy`` markers, so the reviewers' list can never drift from the file:
``tests/safety/test_crisis_taxonomy.py`` fails when the two disagree.

    python -m scripts.crisis_taxonomy          # rewrite the table
    python -m scripts.crisis_taxonomy --check  # exit 1 if the table is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.platform import CRISIS_CATEGORIES
from shared.safety.crisis import DEFAULT_LANGUAGE, CrisisPatterns, Source, read_patterns

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "config" / "README-crisis-patterns.md"
BEGIN = "<!-- begin generated: taxonomy (`python -m scripts.crisis_taxonomy`; do not edit) -->"
END = "<!-- end generated: taxonomy -->"
TITLES = {
    "self_harm": "Self-harm",
    "medical_emergency": "Medical emergency",
    "safeguarding": "Safeguarding",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _source(source: Source) -> str:
    title = f"[{_cell(source.title)}]({source.url})"
    return f"{title}, {_cell(source.publisher)}, checked {source.checked}"


def render(patterns: CrisisPatterns) -> str:
    """The taxonomy as one markdown table per category, then the sources' notes."""
    lines: list[str] = []
    notes: dict[str, str] = {}
    for category in CRISIS_CATEGORIES:
        lines += [
            f"#### {TITLES.get(category, category)}",
            "",
            "| class | what it covers | source | signals |",
            "|---|---|---|---|",
        ]
        for crisis_class in (c for c in patterns.classes if c.category == category):
            sources = "; ".join(_source(s) for s in crisis_class.sources)
            signals = ", ".join(f"`{name}`" for name in crisis_class.signals)
            lines.append(
                f"| `{crisis_class.id}` | {_cell(crisis_class.description)} | {sources} "
                f"| {signals} |"
            )
            for source in crisis_class.sources:
                if source.note:
                    notes.setdefault(source.title, source.note)
        lines.append("")
    lines += ["#### What each source was checked for", ""]
    lines += [f"- **{_cell(title)}**: {_cell(note)}" for title, note in notes.items()]
    lines += ["", "#### Families in Welsh (cy) and Spanish (es)", ""]
    lines += ["| family | language | classes | wording | sources read |", "|---|---|---|---|---|"]
    for family in patterns.families:
        if family.language == DEFAULT_LANGUAGE:
            continue
        classes = ", ".join(f"`{c}`" for c in patterns.class_of.get(family.name, ()))
        sources = "; ".join(f"[{_cell(s.title)}]({s.url})" for s in family.sources) or "none"
        lines.append(
            f"| `{family.name}` | {family.language} | {classes} | {_cell(family.wording_note)} "
            f"| {sources} |"
        )
    return "\n".join(lines)


def generated(text: str) -> str:
    """The current generated part of the README."""
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < start:
        msg = "README-crisis-patterns.md has no generated taxonomy part"
        raise ValueError(msg)
    return text[start + len(BEGIN) : stop].strip("\n")


def rewritten(text: str, content: str) -> str:
    """``text`` with its generated part replaced by ``content``."""
    generated(text)
    start = text.find(BEGIN) + len(BEGIN)
    return f"{text[:start]}\n{content}\n{text[text.find(END) :]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.crisis_taxonomy", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that it is up to date")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    content = render(read_patterns())
    if args.check:
        current = generated(text) == content
        sys.stdout.write("up to date\n" if current else "out of date\n")
        return 0 if current else 1
    README.write_text(rewritten(text, content), encoding="utf-8")
    sys.stdout.write(f"written: {README.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
