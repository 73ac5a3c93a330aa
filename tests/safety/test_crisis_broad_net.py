"""The broad-net self-harm rule: distress and an ending anywhere in one message, with guards."""

from __future__ import annotations

import pytest

from shared.safety.crisis import CrisisDetector, load_detector

RULE = "broad_net_distress_and_escape"


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector()


def broad_net_fires(detector: CrisisDetector, text: str) -> bool:
    return RULE in detector.families_in(text)


@pytest.mark.safety("H01")
def test_distress_and_an_ending_far_apart_still_combine(detector: CrisisDetector) -> None:
    """Distress in the first clause and an ending four clauses later are one message."""
    text = "i cannot cope. the kids are at school. the dog is asleep. it is quiet. i want out"
    assert broad_net_fires(detector, text)


def test_it_is_reported_as_a_self_harm_signal(detector: CrisisDetector) -> None:
    """The rule fires as a strong self_harm signal, named by the rule."""
    match = detector.detect(["i have had enough, i just want to drift off and that is that"])
    assert match is not None
    assert match.category == "self_harm"
    assert RULE in match.signals


def test_an_ending_without_distress_stays_quiet(detector: CrisisDetector) -> None:
    """An ending with no distress or wish in the message is not enough for the broad rule."""
    assert not broad_net_fires(detector, "the kids are at school, soon it will be over with")


def test_negated_distress_does_not_count(detector: CrisisDetector) -> None:
    """'It is not too much' leaves no distress to combine with an ending."""
    assert not broad_net_fires(detector, "it is not too much, soon it will be over with")


def test_the_same_distress_unnegated_fires(detector: CrisisDetector) -> None:
    """'It is too much' with the same ending does fire: the negation was what kept it quiet."""
    assert broad_net_fires(detector, "it is too much, soon it will be over with")


@pytest.mark.parametrize(
    "text",
    [
        "i am done, so glad to end this course of chemo",
        "i have had enough, i am ending things with my ex",
        "it is all too much, we are going away for a week to get away from it all",
        "rest in peace to my friend, i cannot cope without her",
        "i am so tired, i want out of this job",
        "i want 2 disappear from social media for a while, it is too much",
        "the waiting is too much, i just want it over with so i know",
    ],
)
def test_guarded_endings_stay_quiet(detector: CrisisDetector, text: str) -> None:
    """Endings of treatment, holidays, 'rest in peace', leaving a job or an app are ordinary."""
    assert not broad_net_fires(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "how do people cope when they cannot go on and want it all to stop",
        "i am terrified, i cannot cope with the thought of not being here",
        "my mum passed away and i cannot cope, i want to get away from everything",
        "what is my prognosis, i cannot cope with not knowing when it will end",
    ],
)
def test_questions_fear_and_bereavement_mute_the_broad_rule(
    detector: CrisisDetector, text: str
) -> None:
    """A question, fear, prognosis or a bereavement anywhere in the message mutes the broad rule."""
    assert not broad_net_fires(detector, text)


def test_the_same_words_without_the_context_fire(detector: CrisisDetector) -> None:
    """Without the bereavement, the distress and the escape from everything do fire."""
    assert broad_net_fires(detector, "i cannot cope, i want to get away from everything")
