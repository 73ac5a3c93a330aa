"""Crisis detection: does a person writing to Ask Eve need the crisis reply right now?

Runs in the HTTP trigger before any orchestration, so it is pure and fast: the pattern file is
read, validated and compiled once (:func:`load_detector`), then :meth:`CrisisDetector.detect`
takes well under a millisecond and never does I/O.

The pattern file (``config/crisis-patterns.json``, explained for reviewers in
``config/README-crisis-patterns.md``) belongs to clinical reviewers. Its shape::

    {
      "version": "...", "approved_by": "...",
      "context": {"user_turns": 3},                 # how many recent user turns are read
      "category_priority": ["self_harm", ...],      # tie-break when several categories match
      "normalisation": {                            # see shared/safety/text.py
        "raw_phrases": {"a&e": "a and e"},          # before contractions are expanded
        "contractions": {"can't": "cannot", "n't": " not", "'m": " am"},
        "word_map": {"im": "i am", "suicde": "suicide"},
        "phrase_map": {"can not": "cannot"},
        "fuzzy_terms": ["suicidal"], "fuzzy_protected": ["collapse"],
        "leet": {"1": "i"}
      },
      "terms": {"PILLS": "(?:pills?|tablets?)"},    # reusable pieces, written {PILLS}
      "negation": {"cues": [...], "fillers": [...], "scope_breakers": [...]},
      "guards": [{"name": "...", "pattern": "..."}],             # apply to every category
      "context_guards": [{"name": "...", "pattern": "...",       # a topic anywhere in a
                          "families": ["goodbye_message"]}],     # message mutes families
      "classes": [{"id": "medical_emergency.bowel_obstruction",  # the red-flag taxonomy:
                   "description": "...",                         # each class, its public
                   "sources": [{"title": "...", "publisher": "...",   # sources (checked on a
                                "url": "https://...", "checked": "2026-12-08",  # date) and
                                "note": "..."}],                 # the signals covering it
                   "signals": ["possible_bowel_obstruction"]}],
      "categories": {
        "self_harm": {
          "guards": [...],                                       # apply to this category
          "families": [{"name": "suicidal_ideation", "strength": "strong",
                        "negatable": true, "patterns": [...], "guards": [...],
                        "language": "en"}],   # "cy" / "es": needs "wording_note", may
                                              # list "sources" of its wording
          "combinations": [{"name": "...", "all_of": [["a"], ["b", "c"]]},
                           {"name": "...", "any_of": ["a", "b", "c"], "at_least": 2}],
          "concepts": [{"name": "ending_state", "patterns": [...], "guards": [...],
                        "negatable": true, "blocked_by": ["fear"], "unblocked_by": ["self"]}],
          "concept_rules": [{"name": "...", "all_of": [["ending_state"], ["desire"]],
                             "clauses": 2}]
        }, ...
      }
    }

Patterns are regular expressions over the *normalised* text: lower case, one space between
words, and clauses separated by a ``.`` word. Patterns match whole words, so no ``\\b`` is
needed. ``{w:N}`` stands for up to N words (never a negation word), ``{END}`` for the end of a
clause, ``{START}`` (first thing in a pattern only) for its start, and ``{NAME}`` for a term.

How one message is read. A family fires when one of its patterns matches and that match is not
cancelled. A match is cancelled by a guard (family, category or global) whose own match
overlaps it ("my back *is killing me*"), or by a negation: a cue ("not", "never", "no") right
before it, optionally with fillers between ("i am *not really feeling* suicidal"), in the same
clause, unless a scope breaker follows it ("never suicidal *until now*"). Only the words before
a match are read for negation, so "i do not want to live" still fires: its "not" is inside the
pattern. A filler may run into the match's first words ("no thoughts *of ending my life*"), but
the cue itself must come before the match.

A context guard is a topic that, anywhere in a message, makes some families' phrasing ordinary
in that message: goodbyes and arrangements in a message about hospice care are end-of-life
talk. It mutes only the families it lists, and only in that message.

How turns combine (the context rule):

* ``strong`` families fire on their own, in the latest user message or in any of the previous
  ``context.user_turns - 1`` user messages. An earlier crisis still counts for a few turns, even
  if the bot already answered it: when in doubt we err on the side of safety.
* ``weak`` families are ambiguous alone ("tonight's the night", "i'm a burden") and fire only
  through a ``combination``, evaluated over the families found anywhere in that window, so a
  weak signal two turns ago and another one now do fire together. A single weak signal never
  fires, so an old ambiguous remark cannot re-fire on a later, unrelated message.
* Which category answers: a category with evidence in the latest message beats one known only
  from earlier turns (the current danger is the one to answer); ties go by
  ``category_priority``. The shipped order is self_harm, medical_emergency, safeguarding: the
  self-harm reply also sends anyone who is hurt or has taken something to 999 / A&E, the
  medical reply is about an immediate risk to life, and the safeguarding reply covers danger
  from another person, which both other replies also send to 999.

Concepts (the compositional layer). A family is a list of phrasings; a concept is a class of
words with one meaning ("ending", "desire", "method"), and a concept rule fires, as a strong
signal, when one concept of each of its groups stands within ``clauses`` consecutive clauses.
A concept match stands unless guarded, negated, or blocked: a ``blocked_by`` match before it in
its clause ("*she* wants to die", "*scared* the cancer will take me"), with no ``unblocked_by``
match ("i") in between. Concepts generalise where phrase lists did not, because a new sentence
usually reuses the words even when it does not reuse the phrasing.

:class:`CrisisMatch` names the category and the signals (family and combination names, never
message text): the chosen category's first, then those of any other category that matched;
then the taxonomy classes of those signals in the same order, and the language of the phrasing
(``cy`` or ``es`` when a family written in Welsh or Spanish fired, else ``en``).

Speed. Each pattern is indexed by the one or two words its matches can start with (read from
the compiled pattern), and is only tried where those words occur in the message, anchored on
the space before the word. ``families_in(text, exhaustive=True)`` skips the index; the tests
check that both give the same answer on every test message.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # only to read patterns' first words; see _first_words
import threading
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from pathlib import Path
from types import MappingProxyType
from typing import Any

from shared.models import ChatRequest
from shared.platform import (
    CRISIS_CATEGORIES,
    DEFAULT_CONFIG_DIR,
    ConfigError,
    read_config_file,
)
from shared.safety.text import SENTENCE, WORD, Normaliser

DEFAULT_PATTERNS_PATH = DEFAULT_CONFIG_DIR / "crisis-patterns.json"
STRENGTHS = ("strong", "weak")
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "cy", "es")  # English, Welsh, Spanish
_CLASS_ID = re.compile(r"([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_MACRO = re.compile(r"\{(?:w:(\d{1,2})|(END|START)|([A-Z][A-Z0-9_]*))\}")
# Text is matched with one leading space, and every pattern starts on the space before a word:
# the regex engine then jumps from space to space instead of trying every character.
_BUILT_INS = {"END": r"(?= \.|$)", "START": r"(?<![^.] )"}
_WORD_END = "(?![a-z0-9])"
_ESCAPE = re.compile(r"\\.")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
# A word, or a decimal number such as a temperature ("38.2"), optionally followed by another.
_OPENING = re.compile(r"[a-z0-9@$]+(?:\.[0-9]+)?(?: [a-z0-9@$]+(?:\.[0-9]+)?)?")
_SEPARATOR = f" {SENTENCE} "
_CLAUSE_BREAK = re.compile(re.escape(_SEPARATOR))
# How many of a match's first words may complete a negation filler ("no thoughts | of ending").
_FILLER_OVERLAP = 2


class _UnreadableError(Exception):
    """Part of a pattern whose possible texts cannot be listed."""


class _TruncatedError(Exception):
    """Listing stopped at unreadable content; ``heads`` are the texts read up to it."""

    def __init__(self, heads: set[str]) -> None:
        super().__init__()
        self.heads = heads


_MAX_HEADS = 500


def _heads(items: Sequence[tuple[Any, Any]], words: int) -> set[str]:
    """The texts a parsed pattern can start with, each cut after its first ``words`` words.

    Raises :class:`_TruncatedError` with what was read when later content cannot be listed.
    """
    results = {""}
    for op, arg in items:
        open_ = {r for r in results if r.count(" ") < words}
        if not open_:
            break
        try:
            pieces = _piece(str(op), arg, words)
        except _UnreadableError:
            raise _TruncatedError(results) from None
        except _TruncatedError as partial:
            raise _TruncatedError(
                (results - open_) | {r + p for r in open_ for p in partial.heads}
            ) from None
        extended = {r + p for r in open_ for p in pieces}
        results = (results - open_) | {_cut(t, words) for t in extended}
        if len(results) > _MAX_HEADS:
            raise _UnreadableError
    return results


def _cut(text: str, words: int) -> str:
    end = -1
    for _ in range(words):
        end = text.find(" ", end + 1)
        if end < 0:
            return text
    return text[: end + 1]


def _piece(op: str, arg: Any, words: int) -> set[str]:
    if op == "LITERAL":
        return {chr(arg)}
    if op in ("AT", "ASSERT", "ASSERT_NOT"):
        return {""}  # zero width: ignoring a condition only widens the candidate set
    if op == "SUBPATTERN":
        return _heads(list(arg[3]), words)
    if op == "BRANCH":
        return _either([list(branch) for branch in arg[1]], words)
    if op in ("MAX_REPEAT", "MIN_REPEAT") and arg[1] == 1:
        return _either([[], list(arg[2])] if arg[0] == 0 else [list(arg[2])], words)
    if op == "IN" and all(str(kind) == "LITERAL" for kind, _ in arg) and len(arg) <= 12:
        return {chr(code) for _, code in arg}
    raise _UnreadableError


def _either(branches: Sequence[Sequence[tuple[Any, Any]]], words: int) -> set[str]:
    """The heads of alternatives; one unreadable alternative must not hide the others."""
    heads: set[str] = set()
    truncated = False
    for branch in branches:
        try:
            heads |= _heads(branch, words)
        except _TruncatedError as partial:
            heads |= partial.heads
            truncated = True
    if truncated:
        raise _TruncatedError(heads)
    return heads


def _first_words(source: str) -> frozenset[str] | None:
    """The one- or two-word openings a match of ``source`` can have, or None if unknowable.

    A speed-up only: a pattern is tried only where one of its openings occurs in a message.
    Openings are read from the parsed pattern up to two words, or up to the first part that
    cannot be listed (a gap, a class, a repeat); when not even one whole word can be read the
    pattern is tried at every word, so results never depend on this function.
    """
    try:
        heads = _heads(list(sre_parse.parse(source)), 2)
    except _TruncatedError as partial:
        heads = {h[: h.rfind(" ") + 1] for h in partial.heads}
    except (_UnreadableError, re.error, RecursionError):
        return None
    openings = {head.rstrip(" ") for head in heads}
    if not all(_OPENING.fullmatch(opening) for opening in openings):
        return None
    return frozenset(openings)


def _openings(text: str) -> dict[str, list[int]]:
    """Where each word and each pair of adjacent words starts in ``" " + text``.

    Positions are those of the space before the word, where patterns start matching.
    """
    openings: dict[str, list[int]] = {}
    words = text.split(" ")
    position = 0
    for i, word in enumerate(words):
        openings.setdefault(word, []).append(position)
        if i + 1 < len(words):
            openings.setdefault(f"{word} {words[i + 1]}", []).append(position)
        position += len(word) + 1
    return openings


def _spans(
    guard: re.Pattern[str], text: str, cache: dict[re.Pattern[str], list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """Where ``guard`` matches ``text``, computed once per text (guards are shared)."""
    spans = cache.get(guard)
    if spans is None:
        spans = cache[guard] = [m.span() for m in guard.finditer(text)]
    return spans


def _word_regex(sources: Sequence[str]) -> re.Pattern[str]:
    """One regex matching any of ``sources`` on whole words of space-padded text."""
    alternatives = "|".join(f"(?:{source})" for source in sources)
    return re.compile(f" (?:{alternatives}){_WORD_END}")


def _blocked(
    concept: Concept,
    matches: Mapping[str, list[tuple[int, int]]],
    breaks: Sequence[int],
    clause: int,
    start: int,
) -> bool:
    """Whether a blocker precedes ``start`` in its clause with no unblocker after it."""
    clause_start = breaks[clause - 1] if clause else 0
    blockers = [
        be
        for name in concept.blocked_by
        for bs, be in matches.get(name, ())
        if clause_start <= bs and be <= start
    ]
    if not blockers:
        return False
    last = max(blockers)
    return not any(
        last <= us and ue <= start
        for name in concept.unblocked_by
        for us, ue in matches.get(name, ())
    )


@dataclass(frozen=True, slots=True)
class CrisisMatch:
    """A crisis was detected: which reply to send, and which signals matched (names only).

    ``classes`` are the taxonomy classes (``config/crisis-patterns.json``, ``classes``) of the
    signals that fired, the chosen category's first: e.g. ``medical_emergency.neutropenic_sepsis``
    or ``safeguarding.child_abuse_reported`` (safeguarding classes about someone else's abuse
    end in ``_reported``). ``language`` is the language of the phrasing that fired: ``en``
    unless a family written for another language (``cy`` Welsh, ``es`` Spanish) fired.
    """

    category: str
    signals: tuple[str, ...]
    classes: tuple[str, ...] = ()
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class Family:
    """A named group of patterns for one signal, e.g. ``overdose`` or ``heavy_bleeding``."""

    name: str
    category: str
    strong: bool
    negatable: bool
    patterns: tuple[re.Pattern[str], ...]
    guards: tuple[re.Pattern[str], ...]
    openings: tuple[frozenset[str] | None, ...]  # per pattern; see _first_words
    language: str = DEFAULT_LANGUAGE  # the language its patterns are written in
    wording_note: str = ""  # how far the wording is verified (required when not English)
    sources: tuple[Source, ...] = ()  # public pages the wording was checked against


@dataclass(frozen=True, slots=True)
class Combination:
    """Weak families that together are a crisis, e.g. pregnancy with one-sided pain."""

    name: str
    category: str
    groups: tuple[frozenset[str], ...]
    at_least: int

    @property
    def members(self) -> frozenset[str]:
        return frozenset().union(*self.groups)

    def satisfied_by(self, present: frozenset[str]) -> bool:
        if self.at_least:
            return len(self.groups[0] & present) >= self.at_least
        return all(group & present for group in self.groups)


@dataclass(frozen=True, slots=True)
class Negation:
    """A cue before a match (``not``, ``never``) cancels it, unless a breaker follows it."""

    prefix: re.Pattern[str]
    breakers: re.Pattern[str] | None

    def cancels(self, text: str, start: int, end: int) -> bool:
        """Whether the match ``text[start:end]`` (``start`` is its leading space) is negated."""
        separator = text.rfind(_SEPARATOR, 0, start + 1)
        sentence_start = 0 if separator < 0 else separator + len(_SEPARATOR) - 1
        if not self._cue_before(text, sentence_start, start, end):
            return False
        if self.breakers is None:
            return True
        sentence_end = text.find(_SEPARATOR, end)
        return not self.breakers.search(text, end, len(text) if sentence_end < 0 else sentence_end)

    def _cue_before(self, text: str, sentence_start: int, start: int, end: int) -> bool:
        """A cue before ``start``, its fillers ending there or running into the match.

        A match may begin with the last word of a filler: in "no thoughts *of ending my life*"
        the filler is "thoughts of". So the window may also end after one or two of the match's
        own words, but the cue itself must come before the match: a cue inside it ("i do *not*
        want to live") is part of the signal, not a negation of it.
        """
        limit = start + 1
        for _ in range(_FILLER_OVERLAP + 1):
            found = self.prefix.search(text, sentence_start, limit)
            if found is not None and found.start() < start:
                return True
            limit = text.find(" ", limit) + 1
            if limit <= 0 or limit > end:
                return False
        return False


@dataclass(frozen=True, slots=True)
class ContextGuard:
    """A topic anywhere in a message that makes some families' phrasing ordinary there.

    Goodbyes, arrangements and "not long now" are end-of-life talk in a message about a
    hospice; a family guard cannot see that, because the topic is often in another clause.
    """

    name: str
    pattern: re.Pattern[str]
    families: frozenset[str]


@dataclass(frozen=True, slots=True)
class Concept:
    """A reviewable class of words with one meaning, e.g. ``ending`` (die, disappear, ...).

    Alone a concept is never a signal: only a :class:`ConceptRule` combining several is. A match
    is dropped when a guard overlaps it, when it is negated (if ``negatable``), or when a match
    of a ``blocked_by`` concept comes before it in its clause with no ``unblocked_by`` match in
    between: "my friend says *she* wants to die" is about her, "*scared* the cancer will kill
    me" is fear, but in "scared *i* will do something to myself" the writer is the subject again.
    """

    name: str
    negatable: bool
    regex: re.Pattern[str]
    guards: tuple[re.Pattern[str], ...]
    blocked_by: frozenset[str]
    unblocked_by: frozenset[str]


@dataclass(frozen=True, slots=True)
class ConceptRule:
    """Concepts that together are a strong signal when found within ``clauses`` clauses.

    The rule fires when every group has at least one of its concepts within a run of
    ``clauses`` consecutive clauses (1: the same clause; 2: the same or the next one).
    """

    name: str
    category: str
    groups: tuple[frozenset[str], ...]
    clauses: int

    @property
    def members(self) -> frozenset[str]:
        return frozenset().union(*self.groups)

    def satisfied_in(self, by_clause: Mapping[int, set[str]]) -> bool:
        """Whether the concepts found per clause (clause number -> names) satisfy the rule."""
        for first in by_clause:
            found: set[str] = set()
            for clause in range(first, first + self.clauses):
                found |= by_clause.get(clause, set())
            if all(group & found for group in self.groups):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Source:
    """A public clinical source: its title, publisher, address and the date it was checked."""

    title: str
    publisher: str
    url: str
    checked: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class CrisisClass:
    """One class of the red-flag taxonomy, e.g. ``medical_emergency.bowel_obstruction``.

    Named by a public clinical source, described in plain words for reviewers, and covered by
    the ``signals`` (strong families, combinations or concept rules) that fire for it.
    """

    id: str
    category: str
    description: str
    sources: tuple[Source, ...]
    signals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CrisisPatterns:
    """The validated, compiled pattern file."""

    version: str
    user_turns: int
    priority: tuple[str, ...]
    normaliser: Normaliser
    negation: Negation
    families: tuple[Family, ...]
    combinations: tuple[Combination, ...]
    # (family, pattern) positions by the one- or two-word openings a match can start with;
    # patterns whose openings cannot be listed are in ``unindexed`` and always tried.
    index: Mapping[str, tuple[tuple[int, int], ...]]
    unindexed: tuple[tuple[int, int], ...]
    context_guards: tuple[ContextGuard, ...] = ()
    concepts: tuple[Concept, ...] = ()
    concept_rules: tuple[ConceptRule, ...] = ()
    classes: tuple[CrisisClass, ...] = ()
    # signal name -> the ids of the classes that list it, in the file's order
    class_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # family name -> its language, for families not written in English
    language_of: Mapping[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[tuple[int, int], ...]:
        """Every (family, pattern) position."""
        return tuple(
            (f, p) for f, fam in enumerate(self.families) for p in range(len(fam.patterns))
        )


class CrisisDetector:
    """Detects a crisis in the latest user turns. Immutable and safe to share across requests."""

    __slots__ = ("_patterns",)

    def __init__(self, patterns: CrisisPatterns) -> None:
        self._patterns = patterns

    @property
    def patterns(self) -> CrisisPatterns:
        return self._patterns

    def detect(self, user_turns: Sequence[str]) -> CrisisMatch | None:
        """The crisis in ``user_turns`` (oldest first, latest last), or None."""
        window = list(user_turns)[-self._patterns.user_turns :]
        if not window:
            return None
        found = [self.families_in(turn) for turn in window]
        return self._decide(found[-1], frozenset().union(*found))

    def detect_request(self, request: ChatRequest) -> CrisisMatch | None:
        """:meth:`detect` over the user turns of a chat request."""
        return self.detect([m.content for m in request.messages if m.role == "user"])

    def families_in(self, text: str, *, exhaustive: bool = False) -> frozenset[str]:
        """Names of the families (strong and weak) that fire in one message.

        Each pattern is tried only where a word it can start with occurs. ``exhaustive``
        tries every pattern at every word instead: the same answer, only slower (tests use it
        to prove the index loses nothing).
        """
        patterns = self._patterns
        fired: set[str] = set()
        for variant in patterns.normaliser.variants(text):
            padded = f" {variant}"
            muted = {
                name
                for guard in patterns.context_guards
                if guard.pattern.search(padded)
                for name in guard.families
            }
            guard_spans: dict[re.Pattern[str], list[tuple[int, int]]] = {}
            for (f, p), positions in sorted(self._starts(variant, exhaustive=exhaustive).items()):
                family = patterns.families[f]
                if family.name in fired or family.name in muted:
                    continue
                regex = family.patterns[p]
                found = [m for m in map(regex.match, repeat(padded), positions) if m]
                if any(self._counts(family, padded, *m.span(), guard_spans) for m in found):
                    fired.add(family.name)
            if patterns.concept_rules:
                by_clause = self._concepts_by_clause(padded, guard_spans)
                fired.update(
                    rule.name
                    for rule in patterns.concept_rules
                    if rule.name not in muted and rule.satisfied_in(by_clause)
                )
        return frozenset(fired)

    def _concepts_by_clause(
        self, text: str, guard_spans: dict[re.Pattern[str], list[tuple[int, int]]]
    ) -> dict[int, set[str]]:
        """The concepts that stand in ``text`` (space-padded), by clause number."""
        # Guards and negation first, so that a negated blocker ("*not scared* of death") or a
        # guarded one blocks nothing; then blocking, which only reads the standing matches.
        standing = {
            c.name: [
                m.span()
                for m in c.regex.finditer(text)
                if self._concept_stands(c, text, *m.span(), guard_spans)
            ]
            for c in self._patterns.concepts
        }
        breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
        by_clause: dict[int, set[str]] = {}
        for concept in self._patterns.concepts:
            for start, _ in standing[concept.name]:
                clause = bisect_right(breaks, start)
                if concept.name not in by_clause.get(clause, ()) and not _blocked(
                    concept, standing, breaks, clause, start
                ):
                    by_clause.setdefault(clause, set()).add(concept.name)
        return by_clause

    def _concept_stands(
        self,
        concept: Concept,
        text: str,
        start: int,
        end: int,
        guard_spans: dict[re.Pattern[str], list[tuple[int, int]]],
    ) -> bool:
        if concept.negatable and self._patterns.negation.cancels(text, start, end):
            return False
        return not any(
            gs + 1 < end and start + 1 < ge
            for guard in concept.guards
            for gs, ge in _spans(guard, text, guard_spans)
        )

    def _starts(self, variant: str, *, exhaustive: bool) -> dict[tuple[int, int], list[int]]:
        """Where in ``" " + variant`` to try each (family, pattern)."""
        openings = _openings(variant)
        every_word = [pos for opening, ps in openings.items() if " " not in opening for pos in ps]
        if exhaustive:
            return dict.fromkeys(self._patterns.keys, every_word)
        starts = {key: list(every_word) for key in self._patterns.unindexed}
        for opening, positions in openings.items():
            for key in self._patterns.index.get(opening, ()):
                starts.setdefault(key, []).extend(positions)
        return starts

    def normalise(self, text: str) -> tuple[str, ...]:
        """The normalised form(s) the patterns are matched against (for reviewers and tests)."""
        return self._patterns.normaliser.variants(text)

    def _counts(
        self,
        family: Family,
        text: str,
        start: int,
        end: int,
        guard_spans: dict[re.Pattern[str], list[tuple[int, int]]],
    ) -> bool:
        """Whether the match ``text[start:end]`` stands: not negated and not guarded."""
        if family.negatable and self._patterns.negation.cancels(text, start, end):
            return False
        # Spans include their leading space, so spans that only touch do not overlap.
        return not any(
            gs + 1 < end and start + 1 < ge
            for guard in family.guards
            for gs, ge in _spans(guard, text, guard_spans)
        )

    def _decide(self, latest: frozenset[str], anywhere: frozenset[str]) -> CrisisMatch | None:
        signals: dict[str, list[str]] = {}
        current: set[str] = set()
        for combination in self._patterns.combinations:
            if combination.satisfied_by(anywhere):
                signals.setdefault(combination.category, []).append(combination.name)
                if combination.members & latest:
                    current.add(combination.category)
        for family in self._patterns.families:
            if family.strong and family.name in anywhere:
                signals.setdefault(family.category, []).append(family.name)
                if family.name in latest:
                    current.add(family.category)
        for rule in self._patterns.concept_rules:
            if rule.name in anywhere:
                signals.setdefault(rule.category, []).append(rule.name)
                if rule.name in latest:
                    current.add(rule.category)
        if not signals:
            return None
        priority = self._patterns.priority
        ranked = sorted(signals, key=lambda c: (c not in current, priority.index(c)))
        names = tuple(name for category in ranked for name in signals[category])
        class_of = self._patterns.class_of
        classes = tuple(dict.fromkeys(c for name in names for c in class_of.get(name, ())))
        language_of = self._patterns.language_of
        languages = [language_of[name] for name in names if name in language_of]
        return CrisisMatch(
            category=ranked[0],
            signals=names,
            classes=classes,
            language=languages[0] if languages else DEFAULT_LANGUAGE,
        )


# --- loading and validation -------------------------------------------------------------------


class _Field:
    """Typed access to one JSON value that names its dotted path in every error."""

    def __init__(self, value: object, path: str) -> None:
        self.value = value
        self.path = path

    def fail(self, problem: str) -> ConfigError:
        return ConfigError(f"{self.path or 'crisis-patterns.json'}: {problem}")

    def child(self, key: str, default: object = ...) -> _Field:
        data = self.obj()
        where = f"{self.path}.{key}" if self.path else key
        if key not in data:
            if default is ...:
                raise ConfigError(f"{where}: required")
            return _Field(default, where)
        return _Field(data[key], where)

    def obj(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail("expected an object")
        return self.value

    def items(self, *, allow_empty: bool = False) -> list[_Field]:
        if not isinstance(self.value, list) or (not self.value and not allow_empty):
            raise self.fail("expected a non-empty list" if not allow_empty else "expected a list")
        return [_Field(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail("expected a non-empty string")
        return self.value

    def name(self) -> str:
        value = self.text()
        if not _NAME.fullmatch(value):
            raise self.fail("expected a snake_case name")
        return value

    def strings(self, *, allow_empty: bool = True) -> tuple[str, ...]:
        return tuple(item.text() for item in self.items(allow_empty=allow_empty))

    def string_map(self, *, key_check: Callable[[str], bool] | None = None) -> dict[str, str]:
        result: dict[str, str] = {}
        for key in self.obj():
            item = self.child(key)
            if not key or (key_check is not None and not key_check(key)):
                raise item.fail("invalid key")
            result[key] = item.text()
        return result

    def integer(self, minimum: int) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("expected an integer")
        if self.value < minimum:
            raise self.fail(f"must be at least {minimum}")
        return self.value

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail("expected true or false")
        return self.value


class _Compiler:
    """Expands ``{TERM}``, ``{w:N}`` and ``{END}`` and compiles whole-word patterns."""

    def __init__(self, terms: Mapping[str, str], gap_exclusions: Sequence[str]) -> None:
        self._terms = terms
        excluded = "|".join(re.escape(w) for w in gap_exclusions)
        self._gap_word = f"(?!(?:{excluded}) )[a-z0-9]+ " if excluded else "[a-z0-9]+ "

    def expand(self, source: str, where: _Field, depth: int = 0) -> str:
        def replace(match: re.Match[str]) -> str:
            gap, built_in, term = match.groups()
            if built_in:
                return _BUILT_INS[built_in]
            if gap is not None:
                return f"(?:{self._gap_word}){{0,{int(gap)}}}"
            if term not in self._terms:
                raise where.fail(f"unknown term {{{term}}}")
            if depth > 4:
                raise where.fail(f"terms nested too deeply at {{{term}}}")
            return f"(?:{self.expand(self._terms[term], where, depth + 1)})"

        return _MACRO.sub(replace, source)

    def compile_one(self, where: _Field) -> str:
        """The expanded source of one pattern, after checking that it compiles and is sane."""
        source = self.expand(where.text(), where)
        if re.search(r"[A-Z]", _ESCAPE.sub("", source)):
            raise where.fail("contains capital letters, but the normalised text is lower case")
        try:
            compiled = _word_regex([source])
        except re.error as exc:
            raise where.fail(f"invalid pattern: {exc}") from exc
        if any(compiled.search(blank) for blank in ("", " ", " . ", "  .  . ")):
            raise where.fail("matches empty text")
        return source

    def compile_all(self, items: Sequence[_Field]) -> tuple[str, ...]:
        return tuple(self.compile_one(item) for item in items)

    def compile_guards(self, field: _Field) -> tuple[re.Pattern[str], ...]:
        guards = []
        for item in field.items(allow_empty=True):
            item.child("name").name()
            guards.append(_word_regex([self.compile_one(item.child("pattern"))]))
        return tuple(guards)


def _normaliser(field: _Field) -> Normaliser:
    def is_word(key: str) -> bool:
        return bool(WORD.fullmatch(key))

    leet = field.child("leet", {}).string_map(key_check=lambda k: len(k) == 1)
    fuzzy_terms = field.child("fuzzy_terms", []).strings()
    for i, term in enumerate(fuzzy_terms):
        if not term.isalpha() or len(term) < 6 or term != term.lower():
            raise ConfigError(
                f"{field.path}.fuzzy_terms[{i}]: expected a lower-case word of 6+ letters"
            )
    return Normaliser.build(
        raw_phrases=field.child("raw_phrases", {}).string_map(),
        contractions=field.child("contractions", {}).string_map(),
        word_map=field.child("word_map", {}).string_map(key_check=is_word),
        phrase_map=field.child("phrase_map", {}).string_map(),
        fuzzy_terms=fuzzy_terms,
        fuzzy_protected=field.child("fuzzy_protected", []).strings(),
        leet=leet,
    )


def _negation(field: _Field, compiler: _Compiler) -> Negation:
    cues = field.child("cues").strings(allow_empty=False)
    fillers = field.child("fillers", []).strings()
    alternation = "|".join(re.escape(c) for c in cues)
    filler = "|".join(re.escape(f) for f in fillers) or "(?!)"
    # "not <fillers> X", and "no A or B" where negation distributes over "or" (never "and").
    prefix = re.compile(
        rf"(?<![a-z0-9])(?:{alternation}) (?:(?:{filler}) )*"
        rf"(?:(?:[a-z0-9]+ ){{1,3}}(?:or|nor) (?:(?:{filler}) )*)?$"
    )
    items = field.child("scope_breakers", []).items(allow_empty=True)
    return Negation(
        prefix=prefix, breakers=_word_regex(compiler.compile_all(items)) if items else None
    )


def _combination(field: _Field, category: str, families: Mapping[str, Family]) -> Combination:
    data = field.obj()
    name = field.child("name").name()
    if ("all_of" in data) == ("any_of" in data):
        raise field.fail("expected exactly one of all_of or any_of")
    if "all_of" in data:
        groups = tuple(
            frozenset(g.strings(allow_empty=False)) for g in field.child("all_of").items()
        )
        at_least = 0
    else:
        groups = (frozenset(field.child("any_of").strings(allow_empty=False)),)
        at_least = field.child("at_least").integer(minimum=2)
        if at_least > len(groups[0]):
            raise field.child("at_least").fail("is more than the families listed")
    for member in sorted(frozenset().union(*groups)):
        if families.get(member) is None or families[member].category != category:
            raise field.fail(f"unknown family {member!r} in category {category}")
    return Combination(name=name, category=category, groups=groups, at_least=at_least)


def _family(
    item: _Field, category: str, compiler: _Compiler, guards: Sequence[re.Pattern[str]]
) -> Family:
    strength = item.child("strength").text()
    if strength not in STRENGTHS:
        raise item.child("strength").fail(f"must be one of {', '.join(STRENGTHS)}")
    sources = compiler.compile_all(item.child("patterns").items())
    language = item.child("language", DEFAULT_LANGUAGE).text()
    if language not in LANGUAGES:
        raise item.child("language").fail(f"must be one of {', '.join(LANGUAGES)}")
    # Where the wording comes from; a family in another language must say how far it is
    # verified, so that a reviewer who does not read the language knows what to check.
    wording_sources = tuple(_source(s) for s in item.child("sources", []).items(allow_empty=True))
    note = item.child("wording_note", None)
    if note.value is None and language != DEFAULT_LANGUAGE:
        raise item.fail(f"a family in language {language!r} needs a wording_note")
    wording_note = note.text() if note.value is not None else ""
    return Family(
        name=item.child("name").name(),
        category=category,
        strong=strength == "strong",
        negatable=item.child("negatable", True).flag(),
        patterns=tuple(_word_regex([source]) for source in sources),
        guards=(*compiler.compile_guards(item.child("guards", [])), *guards),
        openings=tuple(_first_words(source) for source in sources),
        language=language,
        wording_note=wording_note,
        sources=wording_sources,
    )


def _categories(
    field: _Field, compiler: _Compiler, global_guards: Sequence[re.Pattern[str]]
) -> tuple[tuple[Family, ...], tuple[Combination, ...]]:
    unknown = set(field.obj()) - set(CRISIS_CATEGORIES)
    if unknown:
        raise field.fail(f"unknown category {sorted(unknown)[0]!r}")
    families: dict[str, Family] = {}
    combinations: dict[str, Combination] = {}
    for category in CRISIS_CATEGORIES:
        section = field.child(category)
        guards = (*compiler.compile_guards(section.child("guards", [])), *global_guards)
        for item in section.child("families").items():
            family = _family(item, category, compiler, guards)
            if family.name in families:
                raise item.child("name").fail(f"duplicate family name {family.name!r}")
            families[family.name] = family
        for item in section.child("combinations", []).items(allow_empty=True):
            combination = _combination(item, category, families)
            if combination.name in combinations or combination.name in families:
                raise item.child("name").fail(f"duplicate signal name {combination.name!r}")
            combinations[combination.name] = combination
    used = frozenset().union(*(c.members for c in combinations.values()))
    for family in families.values():
        if not family.strong and family.name not in used:
            raise field.child(family.category).fail(
                f"weak family {family.name!r} is in no combination, so it can never fire"
            )
    return tuple(families.values()), tuple(combinations.values())


def _concept(
    item: _Field, compiler: _Compiler, guards: Sequence[re.Pattern[str]], known: Sequence[str]
) -> Concept:
    def names(key: str) -> frozenset[str]:
        listed = item.child(key, []).strings()
        for i, name in enumerate(listed):
            if name not in known:
                raise item.child(key).items()[i].fail(f"unknown concept {name!r}")
        return frozenset(listed)

    return Concept(
        name=item.child("name").name(),
        negatable=item.child("negatable", True).flag(),
        regex=_word_regex(compiler.compile_all(item.child("patterns").items())),
        guards=(*compiler.compile_guards(item.child("guards", [])), *guards),
        blocked_by=names("blocked_by"),
        unblocked_by=names("unblocked_by"),
    )


def _concept_rule(field: _Field, category: str, known: Sequence[str]) -> ConceptRule:
    groups = tuple(frozenset(g.strings(allow_empty=False)) for g in field.child("all_of").items())
    for member in sorted(frozenset().union(*groups)):
        if member not in known:
            raise field.child("all_of").fail(f"unknown concept {member!r} in category {category}")
    return ConceptRule(
        name=field.child("name").name(),
        category=category,
        groups=groups,
        clauses=field.child("clauses", 1).integer(minimum=1),
    )


def _concept_layer(
    field: _Field,
    compiler: _Compiler,
    global_guards: Sequence[re.Pattern[str]],
    taken: frozenset[str],
) -> tuple[tuple[Concept, ...], tuple[ConceptRule, ...]]:
    """Each category's optional ``concepts`` and the ``concept_rules`` that combine them."""
    concepts: list[Concept] = []
    rules: list[ConceptRule] = []
    names = set(taken)
    for category in CRISIS_CATEGORIES:
        section = field.child(category)
        items = section.child("concepts", []).items(allow_empty=True)
        known = [item.child("name").name() for item in items]
        if len(set(known)) != len(known):
            raise section.child("concepts").fail("duplicate concept name")
        guards = (*compiler.compile_guards(section.child("guards", [])), *global_guards)
        concepts.extend(_concept(item, compiler, guards, known) for item in items)
        for item in section.child("concept_rules", []).items(allow_empty=True):
            rule = _concept_rule(item, category, known)
            if rule.name in names:
                raise item.child("name").fail(f"duplicate signal name {rule.name!r}")
            names.add(rule.name)
            rules.append(rule)
    return tuple(concepts), tuple(rules)


def _context_guard(field: _Field, compiler: _Compiler, signals: frozenset[str]) -> ContextGuard:
    names = field.child("families").strings(allow_empty=False)
    for i, name in enumerate(names):
        if name not in signals:
            raise field.child("families").items()[i].fail(f"unknown family {name!r}")
    return ContextGuard(
        name=field.child("name").name(),
        pattern=_word_regex([compiler.compile_one(field.child("pattern"))]),
        families=frozenset(names),
    )


def _source(field: _Field) -> Source:
    url = field.child("url").text()
    if not url.startswith("https://"):
        raise field.child("url").fail("expected an https:// address")
    checked = field.child("checked").text()
    if not _DATE.fullmatch(checked):
        raise field.child("checked").fail("expected a date, YYYY-MM-DD")
    note = field.child("note", None)
    return Source(
        title=field.child("title").text(),
        publisher=field.child("publisher").text(),
        url=url,
        checked=checked,
        note=note.text() if note.value is not None else "",
    )


def _classes(
    field: _Field, categories: Mapping[str, str]
) -> tuple[tuple[CrisisClass, ...], Mapping[str, tuple[str, ...]]]:
    """The taxonomy classes, and for each signal the ids of the classes that list it.

    ``categories`` maps every signal that can fire (strong family, combination, concept rule)
    to its category; a class may list only those, of its own category.
    """
    classes: list[CrisisClass] = []
    class_of: dict[str, list[str]] = {}
    for item in field.items(allow_empty=True):
        id_field = item.child("id")
        parts = _CLASS_ID.fullmatch(id_field.text())
        if parts is None:
            raise id_field.fail("expected <category>.<snake_case_name>")
        category = parts.group(1)
        if category not in CRISIS_CATEGORIES:
            raise id_field.fail(f"unknown category {category!r}")
        if any(c.id == parts.group(0) for c in classes):
            raise id_field.fail(f"duplicate class {parts.group(0)!r}")
        signals_field = item.child("signals")
        signals = signals_field.strings(allow_empty=False)
        for name, where in zip(signals, signals_field.items(), strict=True):
            if categories.get(name) != category:
                problem = f"{name!r} is not a signal of {category} that can fire on its own"
                raise where.fail(problem)
        crisis_class = CrisisClass(
            id=parts.group(0),
            category=category,
            description=item.child("description").text(),
            sources=tuple(_source(s) for s in item.child("sources").items()),
            signals=signals,
        )
        classes.append(crisis_class)
        for name in signals:
            class_of.setdefault(name, []).append(crisis_class.id)
    return tuple(classes), MappingProxyType({k: tuple(v) for k, v in class_of.items()})


def _index(
    families: Sequence[Family],
) -> tuple[Mapping[str, tuple[tuple[int, int], ...]], tuple[tuple[int, int], ...]]:
    """Which (family, pattern) positions each one- or two-word opening can start."""
    index: dict[str, list[tuple[int, int]]] = {}
    unindexed: list[tuple[int, int]] = []
    for f, family in enumerate(families):
        for p, openings in enumerate(family.openings):
            if openings is None:
                unindexed.append((f, p))
            for opening in openings or ():
                index.setdefault(opening, []).append((f, p))
    return MappingProxyType({k: tuple(v) for k, v in index.items()}), tuple(unindexed)


def parse_patterns(data: object) -> CrisisPatterns:
    """Validate and compile a crisis pattern document; errors name the offending field."""
    root = _Field(data, "")
    root.obj()
    root.child("version").text()
    user_turns = root.child("context").child("user_turns").integer(minimum=1)
    priority = root.child("category_priority").strings(allow_empty=False)
    if sorted(priority) != sorted(CRISIS_CATEGORIES):
        raise root.child("category_priority").fail(
            f"must list each of {', '.join(CRISIS_CATEGORIES)} once"
        )
    terms = root.child("terms", {}).string_map(
        key_check=lambda k: bool(re.fullmatch(r"[A-Z][A-Z0-9_]*", k))
    )
    negation_field = root.child("negation")
    single_word_cues = [c for c in negation_field.child("cues").strings() if " " not in c]
    compiler = _Compiler(terms, single_word_cues)
    for term in terms:
        compiler.expand(terms[term], root.child("terms").child(term))
    normaliser = _normaliser(root.child("normalisation"))
    negation = _negation(negation_field, compiler)
    global_guards = compiler.compile_guards(root.child("guards", []))

    categories = root.child("categories")
    unknown = set(categories.obj()) - set(CRISIS_CATEGORIES)
    if unknown:
        raise categories.fail(f"unknown category {sorted(unknown)[0]!r}")
    families, combinations = _categories(root.child("categories"), compiler, global_guards)
    taken = frozenset(f.name for f in families) | frozenset(c.name for c in combinations)
    concepts, concept_rules = _concept_layer(categories, compiler, global_guards, taken)
    # A context guard may mute families and concept rules alike: both are signals.
    signals = frozenset(f.name for f in families) | frozenset(r.name for r in concept_rules)
    context_guards = tuple(
        _context_guard(item, compiler, signals)
        for item in root.child("context_guards", []).items(allow_empty=True)
    )
    index, unindexed = _index(families)
    firing = {f.name: f.category for f in families if f.strong}
    firing.update({c.name: c.category for c in combinations})
    firing.update({r.name: r.category for r in concept_rules})
    classes, class_of = _classes(root.child("classes", []), firing)
    return CrisisPatterns(
        version=root.child("version").text(),
        user_turns=user_turns,
        priority=priority,
        normaliser=normaliser,
        negation=negation,
        families=families,
        combinations=combinations,
        index=index,
        unindexed=unindexed,
        context_guards=context_guards,
        concepts=concepts,
        concept_rules=concept_rules,
        classes=classes,
        class_of=class_of,
        language_of=MappingProxyType(
            {f.name: f.language for f in families if f.language != DEFAULT_LANGUAGE}
        ),
    )


def read_patterns(path: str | Path | None = None) -> CrisisPatterns:
    """Read and validate a pattern file (default: the repo's config/crisis-patterns.json)."""
    return read_config_file(Path(path) if path else DEFAULT_PATTERNS_PATH, parse_patterns)


@cache
def _cached(path: str) -> CrisisDetector:
    return CrisisDetector(read_patterns(path or None))


# Compilation takes about half a second. The warm-up thread compiles while the first requests
# may already arrive; they wait for that one compilation rather than each starting their own.
_compiling = threading.Lock()


def load_detector(path: str | Path | None = None) -> CrisisDetector:
    """The detector for a pattern file, compiled once per process and path."""
    with _compiling:
        return _cached(str(Path(path).resolve()) if path else "")
