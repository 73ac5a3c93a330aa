"""The generated parts of the README and the safety case that come from the signposting config:
the UK services table (README, crisis section) and the list of reply texts no clinician has
approved yet (safety case, open actions).

``python -m scripts.signposting_docs`` rewrites both parts; tests check they match the config.
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.signposting import NATIONS, NO_FOLLOW_UP, ServicesTable, Signposting, load_signposting

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SAFETY_CASE = ROOT / "docs" / "clinical-safety" / "safety-case.md"
SERVICES_PART = "uk services"
UNAPPROVED_PART = "unapproved texts"
_NATION_NAMES = {
    "england": "England",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern_ireland": "Northern Ireland",
}


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- begin generated: {name} (`python -m scripts.signposting_docs`; do not edit by "
        "hand) -->",
        f"<!-- end generated: {name} -->",
    )


def replace_part(text: str, name: str, content: str) -> str:
    """``text`` with the part between ``name``'s markers replaced by ``content``."""
    begin, end = _markers(name)
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        msg = f"the document has no generated part {name!r}"
        raise ValueError(msg)
    return f"{text[: start + len(begin)]}\n{content}\n{text[stop:]}"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def services_table_markdown(table: ServicesTable) -> str:
    """The services table as markdown, one row per service, in the config's order."""
    lines = [
        f"Services table `config/uk-services.json`, version {table.version}.",
        "",
        "| service | nations | ages | hours | number, text or website | verification | "
        "checked | sources |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for service in table.services.values():
        nations = (
            "all four"
            if set(service.nations) == set(NATIONS)
            else ", ".join(_NATION_NAMES[n] for n in service.nations)
        )
        contact = "; ".join(
            f"{label} {value}"
            for label, value in (
                ("call", service.phone),
                ("text", service.text),
                ("web", service.url),
            )
            if value
        )
        sources = " ".join(f"<{s}>" for s in service.sources) or "-"
        lines.append(
            f"| {_cell(service.name)} | {nations} | {_cell(service.ages)} | "
            f"{_cell(service.hours)} | {_cell(contact or '-')} | {service.verification} | "
            f"{service.checked.isoformat()} | {sources} |"
        )
    return "\n".join(lines)


def unapproved_markdown(signposting: Signposting, follow_up: str = NO_FOLLOW_UP) -> str:
    """The open actions for the texts in use that no clinician has approved, and for the
    services whose details the charity must confirm."""
    drafts = signposting.unapproved(follow_up)
    by_language: dict[str, list[str]] = {}
    for fid, lang in drafts:
        by_language.setdefault(lang, []).append(fid)
    lines = [
        f"{len(drafts)} reply texts in use (with `NURSE_FOLLOW_UP={follow_up}`) are drafts: no "
        "clinician has approved them. `/api/health` reports `clinical_content: unapproved` "
        "until every one is approved in `config/crisis-replies.json` (state, approved_by, "
        "approved_on).",
        "",
    ]
    names = {"en": "English", "cy": "Welsh (also: translation not yet reviewed by a "
             "Welsh-speaking clinician)"}  # fmt: skip
    for lang, ids in by_language.items():
        lines.append(f"- **{names.get(lang, lang)}** ({len(ids)}): " + ", ".join(
            f"`{fid}`" for fid in ids) + ".")  # fmt: skip
    confirm = [s for s in signposting.services.services.values() if s.verification != "verified"]
    for service in confirm:
        lines.append(
            f"- **Confirm `{service.id}`** ({service.verification}): {_cell(service.note)}"
        )
    return "\n".join(lines)


def main() -> int:
    """Rewrite the generated parts of the README and the safety case."""
    signposting = load_signposting()
    README.write_text(
        replace_part(
            README.read_text("utf-8"),
            SERVICES_PART,
            services_table_markdown(signposting.services),
        ),
        "utf-8",
    )
    SAFETY_CASE.write_text(
        replace_part(
            SAFETY_CASE.read_text("utf-8"), UNAPPROVED_PART, unapproved_markdown(signposting)
        ),
        "utf-8",
    )
    sys.stdout.write(f"written: {README.name}, {SAFETY_CASE.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
