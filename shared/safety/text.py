"""Text normalisation, so reviewed patterns can match how people really write.

People in distress write fast: no capitals or apostrophes ("im", "dont"), curly quotes from
phones, stretched letters ("sooo"), misspellings ("suicde"), text speak ("wanna", "u") and
the odd digit for a letter ("k1ll"). :class:`Normaliser` turns a message into a canonical form:

* lower case, accents removed, every apostrophe and quote unified;
* contractions expanded ("can't" -> "cannot", "i'm" -> "i am"), then any other apostrophe
  dropped ("mum's" -> "mums");
* one space between words; clause punctuation (``. , ! ? ; :`` and line breaks) becomes a
  standalone ``.`` token, so patterns and negations never reach across clauses;
* each word is looked up in a word map (apostrophe-less contractions, text speak, known
  misspellings), with simple leetspeak undone and near-misses of listed terms corrected;
* multi-word phrases are finally rewritten to one canonical spelling ("can not" -> "cannot").

Letters repeated three or more times are ambiguous ("killll" is "kill", "dieee" is "die"), so a
message with such a run yields two variants: runs cut to two letters and runs cut to one.

Everything is pure and built once; :meth:`Normaliser.variants` costs a few microseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

SENTENCE = "."

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u02b9": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\uff07": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\uff02": '"',
    }
)
_CENSOR = re.compile(r"(?<=[a-z])\*+(?=[a-z])")
# Commas end a clause too: people rarely punctuate, so a comma is often the only boundary.
# A full stop or comma between digits ("38.5", "1,000") is part of a number.
_SENTENCE_MARKS = re.compile(r"(?:(?<!\d)[.,]|[.,](?!\d)|[!?;:\n\r\u2026])+")
_TOKEN = re.compile(r"\d+\.\d+|[a-z0-9@$]+|\.")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_LEET_CHARS = frozenset("0134578@$")
_VOWELS = "aeiou"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
WORD = re.compile(r"[a-z0-9@$]+")


def unify_quotes(text: str) -> str:
    """Replace curly and typographic apostrophes and quotes with their ASCII forms."""
    return text.translate(_QUOTES)


def fold(text: str) -> str:
    """Lower case, compatibility forms unified and accents removed ("Café" -> "cafe")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(phrases), key=len, reverse=True)
    if not ordered:
        return None
    alternation = "|".join(re.escape(p) for p in ordered)
    return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])")


def near_misses(term: str) -> set[str]:
    """Spellings one slip from ``term``: a letter dropped, swapped or doubled, a vowel changed."""
    variants: set[str] = set()
    for i in range(len(term)):
        variants.add(term[:i] + term[i + 1 :])
        variants.add(term[:i] + term[i] + term[i:])
        if i + 1 < len(term):
            variants.add(term[:i] + term[i + 1] + term[i] + term[i + 2 :])
        if term[i] in _VOWELS:
            variants.update(term[:i] + v + term[i + 1 :] for v in _VOWELS)
        else:
            variants.update(term[:i] + v + term[i:] for v in _VOWELS)
    variants.discard(term)
    return variants


def build_fuzzy_map(
    terms: Iterable[str], protected: Iterable[str], reserved: Iterable[str]
) -> dict[str, str]:
    """Map each near miss of a term to the term, dropping ones that are real or ambiguous words.

    ``protected`` lists real words that must never be rewritten; ``reserved`` holds words that
    already have a meaning (the word map's keys and the terms themselves).
    """
    terms = tuple(terms)
    blocked = set(protected) | set(reserved) | set(terms)
    owners: dict[str, set[str]] = {}
    for term in terms:
        for variant in near_misses(term):
            if len(variant) >= 5 and variant not in blocked:
                owners.setdefault(variant, set()).add(term)
    return {variant: next(iter(ts)) for variant, ts in owners.items() if len(ts) == 1}


def _undo_leet(token: str, leet: Mapping[str, str]) -> str:
    """``k1ll`` -> ``kill``, but leave numbers and units ("400mg", "b12") alone."""
    letters = sum(ch.isalpha() for ch in token)
    leet_chars = sum(ch in leet for ch in token)
    if leet_chars == 0 or letters < 2 or letters <= leet_chars:
        return token
    if any(ch.isdigit() and ch not in leet for ch in token):
        return token
    return "".join(leet.get(ch, ch) for ch in token)


@dataclass(frozen=True, slots=True)
class Normaliser:
    """Builds the canonical text of a message. Construct with :meth:`build`."""

    raw_phrases: Mapping[str, str]
    raw_regex: re.Pattern[str] | None
    contraction_words: Mapping[str, str]
    contraction_regex: re.Pattern[str] | None
    suffixes: Mapping[str, str]
    suffix_regex: re.Pattern[str] | None
    word_map: Mapping[str, str]
    fuzzy_map: Mapping[str, str]
    phrase_map: Mapping[str, str]
    phrase_regex: re.Pattern[str] | None
    leet: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        raw_phrases: Mapping[str, str],
        contractions: Mapping[str, str],
        word_map: Mapping[str, str],
        phrase_map: Mapping[str, str],
        fuzzy_terms: Iterable[str] = (),
        fuzzy_protected: Iterable[str] = (),
        leet: Mapping[str, str] | None = None,
    ) -> Normaliser:
        """Precompile everything; ``contractions`` keys starting with ' or n' are suffixes."""
        suffixes = {k: v for k, v in contractions.items() if k.startswith(("'", "n'"))}
        whole = {k: v for k, v in contractions.items() if k not in suffixes}
        suffix_regex = None
        if suffixes:
            alternation = "|".join(re.escape(s) for s in sorted(suffixes, key=len, reverse=True))
            suffix_regex = re.compile(rf"(?<=[a-z])(?:{alternation})(?![a-z0-9])")
        fuzzy = build_fuzzy_map(fuzzy_terms, fuzzy_protected, word_map)
        return cls(
            raw_phrases=MappingProxyType(dict(raw_phrases)),
            raw_regex=_phrase_regex(raw_phrases),
            contraction_words=MappingProxyType(whole),
            contraction_regex=_phrase_regex(whole),
            suffixes=MappingProxyType(suffixes),
            suffix_regex=suffix_regex,
            word_map=MappingProxyType(dict(word_map)),
            fuzzy_map=MappingProxyType(fuzzy),
            phrase_map=MappingProxyType(dict(phrase_map)),
            phrase_regex=_phrase_regex(phrase_map),
            leet=MappingProxyType(dict(leet or {})),
        )

    def variants(self, text: str) -> tuple[str, ...]:
        """The canonical form of ``text``; two forms when letters were stretched ("sooo")."""
        tokens = self._tokens(text)
        if not _RUN3.search(" ".join(tokens)):
            return (self._finish(tokens, None),)
        first = self._finish(tokens, r"\1\1")
        second = self._finish(tokens, r"\1")
        return (first,) if first == second else (first, second)

    def _tokens(self, text: str) -> list[str]:
        text = _CENSOR.sub("", unify_quotes(fold(text)))
        if self.raw_regex is not None:
            text = self.raw_regex.sub(lambda m: self.raw_phrases[m.group()], text)
        if self.contraction_regex is not None:
            text = self.contraction_regex.sub(lambda m: self.contraction_words[m.group()], text)
        if self.suffix_regex is not None:
            text = self.suffix_regex.sub(lambda m: self.suffixes[m.group()], text)
        text = _SENTENCE_MARKS.sub(" . ", _THOUSANDS.sub("", text.replace("'", "")))
        return _TOKEN.findall(text)

    def _word(self, token: str) -> str:
        mapped = self.word_map.get(token)
        if mapped is not None:
            return mapped
        if self.leet and _LEET_CHARS.intersection(token):
            token = _undo_leet(token, self.leet)
            mapped = self.word_map.get(token)
            if mapped is not None:
                return mapped
        return self.fuzzy_map.get(token, token)

    def _finish(self, tokens: list[str], run: str | None) -> str:
        sentences: list[str] = []
        for sentence in _sentences(tokens):
            words = (self._word(t if run is None else _RUN3.sub(run, t)) for t in sentence)
            sentences.append(" ".join(words))
        text = f" {SENTENCE} ".join(sentences)
        if self.phrase_regex is not None:
            text = self.phrase_regex.sub(lambda m: self.phrase_map[m.group()], text)
        return text


def _sentences(tokens: list[str]) -> list[list[str]]:
    """Tokens grouped into sentences; a run of one-word sentences ("I. Can't. Cope.") is one."""
    sentences: list[list[str]] = [[]]
    for token in tokens:
        if token != SENTENCE:
            sentences[-1].append(token)
        elif sentences[-1]:
            sentences.append([])
    if not sentences[-1]:
        sentences.pop()
    merged: list[list[str]] = []
    for i, sentence in enumerate(sentences):
        if i and len(sentence) == 1 and len(sentences[i - 1]) == 1:
            merged[-1].extend(sentence)
        else:
            merged.append(list(sentence))
    return merged
