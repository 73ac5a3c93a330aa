"""Compose a crisis or emergency reply for one person, from the pre-approved fragments.

A pure function of the config and a :class:`Person`: no model writes any of it. Rules:

- **Nation known** (``metadata.nation``): the reply lists that nation's services, in the plan's
  order.
- **Nation not known**: the services every nation shares come first (999 and Samaritans lead
  the crisis replies), then, after a lead line, one line per nation whose services differ,
  made of the services' short forms.
- **Age.** A service is listed only for the age bands it serves: under-18s get Childline, and
  services for adults only (the NSPCC helpline for worried adults, Rape Crisis England and
  Wales for 16 and over) are left out. A message the detector reads as a child's own
  disclosure counts as under-18 whatever the metadata says.
- **Audience.** Someone reporting another person's abuse or risk (a detector class ending in
  ``_reported``) gets the worried-adult plan: no "it is not your fault", and the NSPCC helpline
  when the person at risk is a child.
- **Language.** Welsh when ``metadata.language`` is ``cy`` or the detector read the message as
  Welsh; the Welsh-language Samaritans line is added to Welsh replies.
- **Follow-up.** Crisis replies say what the deployment does after the alert, from the
  ``NURSE_FOLLOW_UP`` pathway; with none, that nobody will contact the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.platform.config import CRISIS_CATEGORIES
from shared.signposting.services import NATIONS, ServicesTable
from shared.signposting.texts import EMERGENCY, NO_FOLLOW_UP, ReplyBook, ReplyPlan

CHILD_DISCLOSURE = "child_disclosure"
REPORTED_SUFFIX = "_reported"


@dataclass(frozen=True, slots=True)
class Signposting:
    """The services table and the reply fragments, validated against each other."""

    services: ServicesTable
    book: ReplyBook

    def unapproved(self, follow_up: str = NO_FOLLOW_UP) -> list[tuple[str, str]]:
        """The (fragment id, language) pairs in use that no clinician has approved."""
        return [
            (fid, lang)
            for fid, lang in self.book.in_use(follow_up)
            if not self.book.fragments[fid].wordings[lang].approval.approved
        ]


@dataclass(frozen=True, slots=True)
class Person:
    """What the reply may take into account: where, how old, which language, and whether the
    message is about the writer or about someone else."""

    nation: str | None = None
    age_band: str | None = None
    language: str = "en"
    reported: bool = False
    reported_child: bool = False
    child_disclosure: bool = False

    @property
    def age(self) -> str:
        """The age band services are chosen for; unknown counts as adult."""
        return "under_18" if self.age_band == "under_18" or self.child_disclosure else "adult"

    @property
    def audience(self) -> str:
        """``reported`` for a worried adult; a child's own disclosure always counts as ``self``."""
        return "reported" if self.reported and not self.child_disclosure else "self"


def person_for(
    *,
    nation: str | None = None,
    age_band: str | None = None,
    language: str | None = None,
    classes: Iterable[str] = (),
    detected_language: str = "en",
) -> Person:
    """The :class:`Person` from the request's metadata and the detector's reading."""
    classes = tuple(classes)
    reported = [c for c in classes if c.endswith(REPORTED_SUFFIX)]
    return Person(
        nation=nation,
        age_band=age_band,
        language="cy" if "cy" in (language, detected_language) else "en",
        reported=bool(reported),
        reported_child=any("child" in c for c in reported),
        child_disclosure=any(c.rsplit(".", 1)[-1] == CHILD_DISCLOSURE for c in classes),
    )


@dataclass(frozen=True, slots=True)
class Composed:
    """The reply text and the fragments it was made of (for approval and audit)."""

    text: str
    fragments: tuple[tuple[str, str], ...] = field(default=())


@dataclass
class _Writer:
    signposting: Signposting
    person: Person
    used: list[tuple[str, str]] = field(default_factory=list)

    def words(self, fid: str, *, short: bool = False) -> str:
        book = self.signposting.book
        fragment = book.fragments[fid]
        wording = fragment.wordings[self.person.language]
        self.used.append((fid, self.person.language))
        template = wording.short if short and wording.short else wording.text
        if fragment.service is None:
            return template
        return template.format_map(self.signposting.services[fragment.service].contact())

    def applies(self, fid: str) -> bool:
        fragment = self.signposting.book.fragments[fid]
        service = self.signposting.services[fragment.service or ""]
        if self.person.age not in service.age_bands:
            return False
        if fragment.when == "cy":
            return self.person.language == "cy"
        if fragment.when == "reported_child":
            return self.person.audience == "reported" and self.person.reported_child
        return True

    def nations_of(self, fid: str) -> tuple[str, ...]:
        service_id = self.signposting.book.fragments[fid].service or ""
        return self.signposting.services[service_id].nations


def compose(
    signposting: Signposting, reply: str, person: Person, *, follow_up: str = NO_FOLLOW_UP
) -> Composed:
    """The reply ``reply`` (a crisis category, or ``emergency``) for ``person``."""
    book = signposting.book
    plans = book.replies[reply]
    plan = plans.get(person.audience, plans["self"])
    writer = _Writer(signposting, person)
    paragraphs = [writer.words(plan.opening), *_services(writer, plan)]
    paragraphs += [writer.words(fid) for fid in plan.closing]
    if reply in CRISIS_CATEGORIES:
        pathway = follow_up if follow_up in book.follow_up else NO_FOLLOW_UP
        paragraphs.append(writer.words(book.follow_up[pathway]))
        paragraphs += [writer.words(fid) for fid in book.crisis_tail]
    paragraphs.append(writer.words(book.footer))
    return Composed("\n\n".join(p for p in paragraphs if p), tuple(writer.used))


def _services(writer: _Writer, plan: ReplyPlan) -> list[str]:
    """The service paragraphs: a bulleted list, and for an unknown nation the lead and one
    bullet per nation whose services differ."""
    lines = [fid for fid in plan.lines if writer.applies(fid)]
    nation = writer.person.nation
    if nation is not None:
        shown = [fid for fid in lines if nation in writer.nations_of(fid)]
        return [_bullets(writer.words(fid) for fid in shown)]
    shared = [fid for fid in lines if set(writer.nations_of(fid)) == set(NATIONS)]
    paragraphs = [_bullets(writer.words(fid) for fid in shared)]
    per_nation = []
    for each in NATIONS:
        own = [
            fid
            for fid in lines
            if each in writer.nations_of(fid) and set(writer.nations_of(fid)) != set(NATIONS)
        ]
        if own:
            label = writer.words(writer.signposting.book.nation_label(each))
            per_nation.append(f"{label}: {'; '.join(writer.words(f, short=True) for f in own)}.")
    if per_nation:
        paragraphs.append(f"{writer.words(plan.lead)}\n{_bullets(per_nation)}")
    return paragraphs


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


__all__ = ["EMERGENCY", "Composed", "Person", "Signposting", "compose", "person_for"]
