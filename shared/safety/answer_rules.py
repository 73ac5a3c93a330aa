"""Answer-content rules: unsafe clinical advice the output guard refuses, by clinical category.

The prohibited patterns (``prohibited_patterns`` in ``safety-config.json``) catch diagnosis
and prescription *language*. These rules (``answer_rules``, the same file) catch unsafe
*advice* that uses neither: a dosing schedule, stopping or pausing prescribed treatment,
reassurance about a red-flag symptom, and a claim that an unproven product cures cancer. Each
rule names its clinical category; an answer that matches one is refused, as a prohibited
pattern is (the caller treats it as ``content_filtered`` and tries the next tier).

A rule may carry ``unless``: a pattern that, found in the sentence around the match, says the
text is a warning rather than advice ("there is no evidence that ... cures cancer").

The rules are cheap and exact, so they cover only wording that can be named; a measured set of
unsafe and safe answers (``tests/safety/unsafe_answers.py``) states how much, and the hazard
log (H19) names the controls for the rest. :func:`unsafe_advice` never returns matched text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from shared.platform import AnswerRule
from shared.safety.text import unify_quotes

_EMPHASIS = re.compile(r"[*_~`]+")
_SPACE = re.compile(r"[^\S\n]+")
_SENTENCE_END = re.compile(r"[.!?\n]")


def flatten(text: str) -> str:
    """``text`` as the rules read it: NFKC, quotes unified, markdown emphasis removed and
    runs of spaces collapsed (line breaks kept), so formatting cannot hide a phrase."""
    flat = _SPACE.sub(" ", _EMPHASIS.sub("", unify_quotes(unicodedata.normalize("NFKC", text))))
    return re.sub(r" ?\n\s*", "\n", flat)


def _sentence(flat: str, start: int, end: int) -> str:
    """The sentence or sentences that hold ``flat[start:end]``."""
    before = max((m.end() for m in _SENTENCE_END.finditer(flat, 0, start)), default=0)
    after = _SENTENCE_END.search(flat, end)
    return flat[before : after.end() if after else len(flat)]


def unsafe_advice(text: str, rules: Sequence[AnswerRule]) -> AnswerRule | None:
    """The first rule (in config order) that ``text`` breaks, or None."""
    flat = flatten(text)
    for rule in rules:
        for match in rule.pattern.finditer(flat):
            if rule.unless is None or not rule.unless.search(
                _sentence(flat, match.start(), match.end())
            ):
                return rule
    return None
