"""Text normalisation for crisis matching."""

from __future__ import annotations

import pytest

from shared.safety.text import Normaliser, near_misses, unify_quotes


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser.build(
        raw_phrases={"a&e": "a and e"},
        contractions={"can't": "cannot", "won't": "will not", "n't": " not", "'m": " am"},
        word_map={"im": "i am", "dont": "do not", "suicde": "suicide", "wanna": "want to"},
        phrase_map={"can not": "cannot", "any more": "anymore"},
        fuzzy_terms=["suicidal", "myself"],
        fuzzy_protected=["myselves"],
        leet={"1": "i", "3": "e", "0": "o"},
    )


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("I CAN\u2019T", "i cannot"),
        ("I won't", "i will not"),
        ("I don't, I'm", "i do not . i am"),
        ("im ok dont worry", "i am ok do not worry"),
        ("I can not do this any more", "i cannot do this anymore"),
        ("  lots   of\tspace  ", "lots of space"),
        ("Is it bad?! Yes... I think so", "is it bad . yes . i think so"),
        ("temperature 38.5, pulse 1,000", "temperature 38.5 . pulse 1000"),
        ("mum's results", "mums results"),
        ("caf\u00e9 na\u00efve", "cafe naive"),
        ("I w4nt 2 k1ll", "i w4nt 2 kill"),
        ("h3llo b12 400mg", "hello b12 400mg"),
        ("suicde", "suicide"),
        ("sucidal", "suicidal"),
        ("mysefl", "myself"),
        ("going to A&E", "going to a and e"),
        ("s*icide", "sicide"),
        ("I. Can't. Cope.", "i cannot cope"),
        ("No. I want", "no . i want"),
    ],
)
def test_normalised_form(normaliser: Normaliser, raw: str, normalised: str) -> None:
    """Messages reduce to one canonical lower-case, single-spaced form."""
    assert normaliser.variants(raw)[0] == normalised


def test_stretched_letters_give_two_readings(normaliser: Normaliser) -> None:
    """'sooo' may be 'so' or 'soo', so both readings are offered."""
    assert normaliser.variants("dieee killll") == ("diee kill", "die kil")


def test_unify_quotes_maps_curly_marks() -> None:
    """Typographic apostrophes and quotes become their ASCII forms."""
    assert unify_quotes("\u2018it\u2019s\u2019 \u201cok\u201d") == "'it's' \"ok\""


def test_near_misses_cover_common_slips() -> None:
    """Dropped, doubled and swapped letters and changed vowels are one slip away."""
    slips = near_misses("suicide")
    assert {"suicde", "suiicide", "suicdie", "suecide"} <= slips
    assert "suicide" not in slips


def test_protected_words_are_never_rewritten(normaliser: Normaliser) -> None:
    """A real word that is one slip from a term keeps its meaning."""
    assert normaliser.variants("myselves")[0] == "myselves"
