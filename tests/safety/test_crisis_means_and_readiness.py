"""The means-and-readiness rule: a means or place and readiness anywhere in one message."""

from __future__ import annotations

import pytest

from shared.safety.crisis import CrisisDetector, load_detector

RULE = "means_and_readiness"


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector()


def rule_fires(detector: CrisisDetector, text: str) -> bool:
    return RULE in detector.families_in(text)


@pytest.mark.safety("H01")
def test_a_means_and_an_opportunity_far_apart_still_combine(detector: CrisisDetector) -> None:
    """Tablets in the first clause and nobody home three clauses later are one message."""
    text = "the tablets are in the kitchen. the kids are at school. it is quiet. nobody is home"
    assert rule_fires(detector, text)


def test_it_is_reported_as_a_self_harm_signal(detector: CrisisDetector) -> None:
    """The rule fires as a strong self_harm signal, named by the rule."""
    match = detector.detect(["i keep walking along the canal at night"])
    assert match is not None
    assert match.category == "self_harm"
    assert RULE in match.signals


def test_a_means_alone_stays_quiet(detector: CrisisDetector) -> None:
    """Naming a medicine or a place with no readiness is not enough."""
    assert not rule_fires(detector, "the tablets are in the kitchen")


def test_readiness_alone_stays_quiet(detector: CrisisDetector) -> None:
    """Being home alone with no means or place named is not enough."""
    assert not rule_fires(detector, "nobody is home until friday")


def test_negated_readiness_does_not_count(detector: CrisisDetector) -> None:
    """'Not been hiding' leaves no readiness to combine with the razor."""
    assert not rule_fires(detector, "i have not been hiding the razor")


def test_the_same_readiness_unnegated_fires(detector: CrisisDetector) -> None:
    """'Been hiding the razor' does fire: the negation was what kept it quiet."""
    assert rule_fires(detector, "i have been hiding the razor")


def test_someone_elses_means_is_not_the_writers(detector: CrisisDetector) -> None:
    """A means held by someone else ('my dad ... his pills') is blocked, as in other rules."""
    assert not rule_fires(detector, "my dad keeps his pills hidden from the grandkids")


@pytest.mark.safety("H12")
@pytest.mark.parametrize(
    "text",
    [
        "how many paracetamol can i take for pain",
        "is it safe to take morphine with my anti sickness tablets",
        "i forgot my tablets tonight, should i take two tomorrow",
        "i counted my tablets and the pharmacy gave me too few",
        "we drove over the severn bridge to see the grandchildren",
        "is there parking on the top floor of the multi storey",
        "i keep walking along the river with my sister, it helps",
    ],
)
def test_ordinary_medicine_and_place_talk_stays_quiet(detector: CrisisDetector, text: str) -> None:
    """Dose questions, missed doses, pharmacy mix-ups, trips, parking and company are ordinary."""
    assert detector.detect([text]) is None


def test_tablets_saved_for_a_holiday_are_ordinary(detector: CrisisDetector) -> None:
    """Saving a supply of tablets for a trip fires no family or rule."""
    assert detector.detect(["i have saved my tablets for the holiday"]) is None


def test_tablets_saved_for_no_stated_reason_still_fire(detector: CrisisDetector) -> None:
    """Without the trip, saved tablets and 'enough now' are a self-harm signal."""
    match = detector.detect(["i have saved my tablets, there are enough now"])
    assert match is not None
    assert match.category == "self_harm"
