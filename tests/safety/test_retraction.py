"""A crisis reply followed by a retraction (H28): the reply is kept, and the retraction is
recognised so it can be counted; only a retraction of a crisis held by an earlier turn counts."""

from __future__ import annotations

import pytest

from shared.safety.crisis import load_detector
from shared.safety.retraction import is_retraction, retracted_after_crisis

DISCLOSURE = "I can't go on anymore, I want to end my life"


@pytest.mark.parametrize(
    "text",
    [
        "sorry, it was a joke",
        "only joking lol",
        "I didnt mean it",
        "just kidding",
        "im fine really",
        "please ignore that, wrong chat",
        "I wasn't being serious",
    ],
)
def test_everyday_retractions_are_recognised(text: str) -> None:
    """The usual ways of taking something back are retractions."""
    assert is_retraction(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not joking, I want to die",
        "what a joke the waiting list is",
        "can you tell me about smear tests",
        "I meant what I said",
    ],
)
def test_other_messages_are_not_retractions(text: str) -> None:
    """Insisting, an idiom with "joke", or an ordinary question is not a retraction."""
    assert not is_retraction(text)


@pytest.mark.safety("H28")
def test_a_retraction_after_a_disclosure_counts() -> None:
    """The turn after a disclosure retracts it: counted (and the crisis reply is kept)."""
    detector = load_detector()
    turns = [DISCLOSURE, "sorry, it was a joke"]
    assert detector.detect(turns) is not None
    assert retracted_after_crisis(turns, detector.detect)


@pytest.mark.safety("H28")
def test_a_retraction_that_repeats_the_crisis_does_not_count() -> None:
    """A latest turn that itself holds a crisis is not a retraction of an earlier one."""
    turns = [DISCLOSURE, "just kidding... no, I do want to end my life"]
    assert not retracted_after_crisis(turns, load_detector().detect)


def test_a_retraction_with_no_crisis_before_it_does_not_count() -> None:
    """ "Only joking" after an ordinary question is nobody's retraction of a crisis."""
    turns = ["what is a colposcopy?", "only joking, I know what it is"]
    assert not retracted_after_crisis(turns, load_detector().detect)
