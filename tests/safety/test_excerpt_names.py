"""Names in the optional escalation excerpt (H15): a name that follows a cue is redacted, the
cue and the rest of the words are kept; a name without a cue is not (documented, and the
reason the excerpt is off by default)."""

from __future__ import annotations

import pytest

from shared.safety.redact import excerpt, redact


@pytest.mark.safety("H15")
@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("my name is Sarah Jones and I can't go on", "my name is [name] and I can't go on"),
        ("I'm called Anne-Marie", "I'm called [name]"),
        ("Mrs O'Neil next door hits me", "[name] next door hits me"),
        ("my daughter Emma found me", "my daughter [name] found me"),
        ("my GP, Dr Patel, said to wait", "my GP, [name], said to wait"),
        ("thanks Jo", "thanks [name]"),
    ],
)
def test_a_name_after_a_cue_is_redacted(text: str, redacted: str) -> None:
    """A name after "my name is", a title, a relation or a sign-off becomes [name]."""
    assert redact(text) == redacted


@pytest.mark.safety("H15")
def test_the_excerpt_carries_no_cued_name() -> None:
    """The escalation excerpt itself is built from the redacted text."""
    assert "Sarah" not in excerpt("Hello, my name is Sarah and I took all my tablets", 160)


def test_words_that_are_not_names_are_kept() -> None:
    """Lower-case words after a cue, and clinical words, are left alone."""
    text = "this is scary, my husband is away and I took tamoxifen"
    assert redact(text) == text


def test_a_name_without_a_cue_is_not_redacted() -> None:
    """The known limit: a bare name is not recognised (the excerpt stays off by default)."""
    assert redact("Sarah said I should ask") == "Sarah said I should ask"
