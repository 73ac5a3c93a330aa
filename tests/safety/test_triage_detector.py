"""The triage as an offline detector (``scripts/triage_detector.py``), the measurement's own
adapter: the real SDKs against the simulators' triage rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.triage_detector import TriageDetector, TriageUnavailableError
from simulators import Fault, FaultKind, SimulatedProviders
from simulators.harness import app_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatedProviders]:
    with SimulatedProviders() as providers:
        yield providers


@pytest.fixture
def detector(sims: SimulatedProviders) -> Iterator[TriageDetector]:
    sims.clear()
    found = TriageDetector(app_settings(sims.urls, "sk-simulated-test"))
    yield found
    found.close()


def test_a_flag_is_a_crisis_match_of_its_category(detector: TriageDetector) -> None:
    """A message the simulated tier flags comes back as a match of that category."""
    match = detector.detect(["I cannot do this any more [triage:sg]"])
    assert match is not None
    assert match.category == "safeguarding"


def test_no_marker_is_no_match(detector: TriageDetector) -> None:
    """An ordinary message is no match."""
    assert detector.detect(["what is a CA-125 test?"]) is None


def test_malformed_output_is_scored_as_no_flag_and_tallied(detector: TriageDetector) -> None:
    """A malformed answer is no flag, as the gateway treats it, and tallied."""
    assert detector.detect(["[triage:malformed]"]) is None
    assert detector.tally.malformed == 1


def test_under_uk_residency_it_asks_a_uk_tier(sims: SimulatedProviders) -> None:
    """With DATA_RESIDENCY=uk the measured tier is the UK Azure OpenAI tier."""
    found = TriageDetector({**app_settings(sims.urls, "sk-simulated-test"), "DATA_RESIDENCY": "uk"})
    try:
        assert found.tier == "azure_openai"
    finally:
        found.close()


def test_a_tier_that_keeps_failing_stops_the_run(sims: SimulatedProviders) -> None:
    """Three failed calls stop the run (a failure scored as no crisis would understate recall)."""
    sims.clear()
    sims.set_fault("openai", Fault(FaultKind.STATUS, status=500))

    async def no_wait(_seconds: float) -> None:
        return None

    found = TriageDetector(app_settings(sims.urls, "sk-simulated-test"), sleep=no_wait)
    try:
        with pytest.raises(TriageUnavailableError):
            found.detect(["a question"])
        assert sims.count("openai") == 3
    finally:
        found.close()
        sims.clear()
