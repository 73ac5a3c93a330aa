"""Pacing is a validated value: word tokens, due times, and fault overrides."""

from __future__ import annotations

import pytest

from simulators import REALISTIC, Fault, FaultKind, Pacing
from simulators.pacing import INSTANT, answer_tokens, due_s, effective

TEXT = "One two three."


def test_tokens_are_words_that_join_back_into_the_text() -> None:
    """Each token is a word with the whitespace after it."""
    assert answer_tokens(TEXT) == ["One ", "two ", "three."]


def test_a_shorter_answer_is_the_first_words() -> None:
    """answer_tokens below the text's length keeps its first words."""
    assert "".join(answer_tokens(TEXT, 2)) == "One two "


def test_a_longer_answer_repeats_the_words_deterministically() -> None:
    """answer_tokens above the text's length repeats the text, separated by a space."""
    tokens = answer_tokens(TEXT, 7)
    assert (len(tokens), "".join(tokens)) == (7, "One two three. One two three. One")
    assert tokens == answer_tokens(TEXT, 7)


def test_first_token_is_due_after_first_token_ms_then_one_per_interval() -> None:
    """Token i is due first_token_ms + i / tokens_per_s after the start."""
    pacing = Pacing(first_token_ms=200, tokens_per_s=50)
    assert [due_s(pacing, i) for i in (0, 1, 10)] == pytest.approx([0.2, 0.22, 0.4])


def test_zero_tokens_per_s_sends_everything_at_the_first_token() -> None:
    """tokens_per_s 0 means no pacing after the first token."""
    assert due_s(Pacing(first_token_ms=100), 99) == pytest.approx(0.1)


def test_a_fault_overrides_only_the_numbers_it_sets() -> None:
    """Zero / None fault numbers fall back to the default pacing."""
    default = Pacing(first_token_ms=400, tokens_per_s=80, answer_tokens=300)
    fault = Fault(FaultKind.STALL, stall_after_tokens=2, first_token_ms=5000)
    assert effective(default, fault) == Pacing(5000, 80, 300)
    assert effective(default, None) == default


def test_default_pacing_is_instant() -> None:
    """Without pacing an answer is as fast as possible and as long as its text."""
    assert Pacing(0, 0, None) == INSTANT


@pytest.mark.parametrize("provider", sorted(REALISTIC))
def test_realistic_pacing_is_in_the_published_ranges(provider: str) -> None:
    """make run's figures: 0.2-2 s to first token, 40-120 tokens/s, 200-400 tokens."""
    pacing = REALISTIC[provider]  # type: ignore[index]
    assert 200 <= pacing.first_token_ms <= 2000
    assert 40 <= pacing.tokens_per_s <= 120
    assert pacing.answer_tokens is not None
    assert 200 <= pacing.answer_tokens <= 400


def test_anthropic_is_paced_slower_than_openai() -> None:
    """Claude Sonnet starts and writes slower than gpt-4o-mini."""
    assert REALISTIC["anthropic"].first_token_ms > REALISTIC["openai"].first_token_ms
    assert REALISTIC["anthropic"].tokens_per_s < REALISTIC["openai"].tokens_per_s


def test_pacing_json_round_trip() -> None:
    """to_json and from_json are inverses."""
    pacing = Pacing(first_token_ms=400, tokens_per_s=80.5, answer_tokens=300)
    assert Pacing.from_json(pacing.to_json()) == pacing


@pytest.mark.parametrize(
    "fields",
    [
        {"first_token_ms": -1},
        {"tokens_per_s": -0.5},
        {"tokens_per_s": float("inf")},
        {"answer_tokens": 0},
    ],
    ids=["negative-first-token", "negative-rate", "infinite-rate", "empty-answer"],
)
def test_invalid_pacing_is_refused(fields: dict[str, float]) -> None:
    """Out-of-range pacing fails when built."""
    with pytest.raises(ValueError, match=next(iter(fields))):
        Pacing(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [{"tokens_per_s": "fast"}, {"first_token_ms": 1.5}, {"answer_tokens": True}, {"pace": 1}, []],
    ids=["string-rate", "float-ms", "bool-length", "unknown-field", "not-object"],
)
def test_invalid_pacing_json_is_refused(data: object) -> None:
    """The control API's pacing JSON is checked strictly."""
    with pytest.raises(ValueError, match=r"\w"):
        Pacing.from_json(data)
