"""The reply fragments (``config/crisis-replies.json``) and how each reply is assembled from them.

A fragment is one pre-approved sentence or line, in English and in Welsh, each language with its
own approval (``draft`` or ``approved``, by whom, on what date). A fragment that names a service
points at a row of the services table and writes ``{phone}``, ``{text}`` or ``{url}`` where that
row's contact goes, so a number is written once and is the same in every language. Each reply
(a crisis category, or ``emergency`` for the reply sent when every model is down) has a plan per
audience: ``self`` (the person it is happening to) and, where it differs, ``reported`` (someone
worried about another person).

Validation is strict and happens once, when the file is loaded: every reference resolves, every
fragment has every language, every placeholder is a field its service has, a service a reply
names is usable, and an ``approved`` text says who approved it and when, while a ``draft`` says
neither (nothing may look approved that is not).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from shared.platform.config import CRISIS_CATEGORIES, ConfigError, ConfigReader
from shared.signposting.services import NATIONS, ServicesTable

LANGUAGES = ("en", "cy")
EMERGENCY = "emergency"
REPLIES = (*CRISIS_CATEGORIES, EMERGENCY)
AUDIENCES = ("self", "reported")
APPROVAL_STATES = ("draft", "approved")
# A fragment's ``when``: shown only in Welsh replies, or only to someone reporting a child's abuse.
CONDITIONS = ("cy", "reported_child")
NO_FOLLOW_UP = "none"


@dataclass(frozen=True, slots=True)
class Approval:
    state: str
    approved_by: str | None = None
    approved_on: date | None = None

    @property
    def approved(self) -> bool:
        return self.state == "approved"


@dataclass(frozen=True, slots=True)
class Wording:
    """A fragment in one language."""

    text: str
    short: str | None
    approval: Approval
    note: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class Fragment:
    id: str
    service: str | None
    when: str | None
    wordings: Mapping[str, Wording]


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    """One reply for one audience: the opening, the service lines in order, the lead before
    the per-nation lines, and the closing fragments."""

    opening: str
    lines: tuple[str, ...]
    lead: str
    closing: tuple[str, ...]

    def fragment_ids(self) -> Iterator[str]:
        yield self.opening
        yield from self.lines
        yield self.lead
        yield from self.closing


@dataclass(frozen=True, slots=True)
class ReplyBook:
    version: str
    fragments: Mapping[str, Fragment]
    replies: Mapping[str, Mapping[str, ReplyPlan]]
    follow_up: Mapping[str, str]
    crisis_tail: tuple[str, ...]
    footer: str

    def nation_label(self, nation: str) -> str:
        return f"nation.{nation}"

    def in_use(self, follow_up: str) -> list[tuple[str, str]]:
        """Every (fragment id, language) a reply can contain with ``follow_up`` as the
        nurse follow-up pathway, in file order, without repeats."""
        ids: list[str] = []
        for plans in self.replies.values():
            for plan in plans.values():
                ids.extend(plan.fragment_ids())
        ids += [self.nation_label(nation) for nation in NATIONS]
        ids += [self.follow_up[follow_up], *self.crisis_tail, self.footer]
        seen = dict.fromkeys(ids)
        return [(fid, lang) for fid in seen for lang in LANGUAGES]


def _approval(reader: ConfigReader) -> Approval:
    state = reader.text("state")
    if state not in APPROVAL_STATES:
        raise ConfigError(f"{reader.where('state')}: must be one of {', '.join(APPROVAL_STATES)}")
    raw = reader.mapping_at_root()
    by, on = raw.get("approved_by"), raw.get("approved_on")
    if state == "draft":
        if by is not None or on is not None:
            raise ConfigError(f"{reader.where('state')}: a draft has no approved_by or approved_on")
        return Approval(state)
    by_text = reader.text("approved_by")
    try:
        approved_on = date.fromisoformat(reader.text("approved_on"))
    except ValueError as exc:
        raise ConfigError(f"{reader.where('approved_on')}: expected a date (YYYY-MM-DD)") from exc
    return Approval(state, by_text, approved_on)


def _wording(reader: ConfigReader) -> Wording:
    raw = reader.mapping_at_root()
    return Wording(
        text=reader.text("text"),
        short=reader.text("short") if raw.get("short") is not None else None,
        approval=_approval(reader),
        note=str(raw.get("note") or ""),
        source=str(raw.get("source") or ""),
    )


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _fragment(fid: str, reader: ConfigReader, services: ServicesTable) -> Fragment:
    raw = reader.mapping_at_root()
    service_id = raw.get("service")
    when = raw.get("when")
    if when is not None and when not in CONDITIONS:
        raise ConfigError(f"{reader.where('when')}: must be one of {', '.join(CONDITIONS)}")
    fields: set[str] = set()
    if service_id is not None:
        if service_id not in services.services:
            raise ConfigError(f"{reader.where('service')}: no service {service_id!r}")
        fields = set(services[service_id].contact())
    wordings = {}
    for lang in LANGUAGES:
        wording = _wording(reader.obj(lang))
        for form in (wording.text, wording.short or ""):
            missing = _placeholders(form) - fields
            if missing:
                raise ConfigError(
                    f"{reader.where(lang)}: {', '.join(sorted(missing))} is not a field of "
                    f"the fragment's service"
                )
        wordings[lang] = wording
    return Fragment(fid, service_id, when, wordings)


def _plan(reader: ConfigReader) -> ReplyPlan:
    raw = reader.mapping_at_root()
    return ReplyPlan(
        opening=reader.text("opening"),
        lines=reader.strings("lines"),
        lead=reader.text("lead"),
        closing=reader.strings("closing") if raw.get("closing") else (),
    )


def parse_texts(data: object, services: ServicesTable) -> ReplyBook:
    """Validate the reply fragments against the services table."""
    root = ConfigReader(data, "")
    languages = root.strings("languages")
    if languages != LANGUAGES:
        raise ConfigError(f"languages: must be {list(LANGUAGES)}")
    texts = root.obj("texts")
    fragments = {fid: _fragment(fid, texts.obj(fid), services) for fid in texts.mapping_at_root()}
    replies_reader = root.obj("replies")
    replies: dict[str, dict[str, ReplyPlan]] = {}
    for name in REPLIES:
        reply = replies_reader.obj(name)
        plans = {a: _plan(reply.obj(a)) for a in AUDIENCES if reply.has(a)}
        if "self" not in plans:
            raise ConfigError(f"{reply.where('self')}: required")
        replies[name] = plans
    follow_up = {key: str(value) for key, value in root.mapping("follow_up").items()}
    if NO_FOLLOW_UP not in follow_up:
        raise ConfigError("follow_up.none: required (the reply when nobody will follow up)")
    book = ReplyBook(
        version=root.text("version"),
        fragments=fragments,
        replies=replies,
        follow_up=follow_up,
        crisis_tail=root.strings("crisis_tail"),
        footer=root.text("footer"),
    )
    _check_references(book, services)
    return book


def _check_references(book: ReplyBook, services: ServicesTable) -> None:
    for pathway in book.follow_up:
        _known(book, book.follow_up[pathway], f"follow_up.{pathway}")
    for fid in (*book.crisis_tail, book.footer):
        _known(book, fid, "crisis_tail/footer")
    for nation in NATIONS:
        _known(book, book.nation_label(nation), "nation labels")
    for name, plans in book.replies.items():
        for audience, plan in plans.items():
            where = f"replies.{name}.{audience}"
            for fid in plan.fragment_ids():
                _known(book, fid, where)
            for fid in plan.lines:
                fragment = book.fragments[fid]
                if fragment.service is None:
                    raise ConfigError(f"{where}.lines: {fid!r} names no service")
                service = services[fragment.service]
                if not service.usable:
                    raise ConfigError(
                        f"{where}.lines: {fid!r} names {service.id!r}, which is "
                        f"{service.verification}: a reply names only checked services"
                    )
                if not service.everywhere and any(
                    w.short is None for w in fragment.wordings.values()
                ):
                    raise ConfigError(
                        f"texts.{fid}: a service for some nations only needs a short form "
                        "in every language (the line for each nation)"
                    )


def _known(book: ReplyBook, fid: str, where: str) -> None:
    if fid not in book.fragments:
        raise ConfigError(f"{where}: no text {fid!r}")
