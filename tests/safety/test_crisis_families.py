"""Each pattern family, the word index and the shipped pattern file."""

from __future__ import annotations

import pytest

from shared.safety.crisis import CrisisDetector, load_detector
from tests.safety import crisis_cases as cases


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector()


@pytest.mark.safety("H01")
@pytest.mark.parametrize(("family", "text"), sorted(cases.FAMILY_EXAMPLES.items()))
def test_each_family_fires_on_its_example(detector: CrisisDetector, family: str, text: str) -> None:
    """Every family, strong or weak, fires on a typical phrasing of its signal."""
    assert family in detector.families_in(text)


def test_every_configured_family_has_an_example(detector: CrisisDetector) -> None:
    """A family added to the pattern file needs an example here, and examples match families."""
    configured = {family.name for family in detector.patterns.families}
    assert configured == set(cases.FAMILY_EXAMPLES)


def test_every_combination_names_configured_families(detector: CrisisDetector) -> None:
    """Combinations only refer to families of their own category."""
    families = {f.name: f.category for f in detector.patterns.families}
    for combination in detector.patterns.combinations:
        assert all(families[m] == combination.category for m in combination.members)


ALL_MESSAGES = (
    cases.SELF_HARM
    + cases.MEDICAL_EMERGENCY
    + cases.SAFEGUARDING
    + cases.NOT_A_CRISIS
    + tuple(cases.FAMILY_EXAMPLES.values())
)


@pytest.mark.safety("H01")
def test_the_word_index_never_loses_a_match(detector: CrisisDetector) -> None:
    """Trying only the patterns a message's words can start finds what trying all of them does."""
    for text in ALL_MESSAGES:
        assert detector.families_in(text) == detector.families_in(text, exhaustive=True), text


def test_almost_every_pattern_is_indexed(detector: CrisisDetector) -> None:
    """The index covers nearly all patterns, so a message only tries a few of them."""
    total = sum(len(f.patterns) for f in detector.patterns.families)
    assert len(detector.patterns.unindexed) <= total // 50


def test_loading_is_cached() -> None:
    """The pattern file is compiled once per process."""
    assert load_detector() is load_detector()
