"""Ratings follow what was measured: the crisis-miss hazard cannot be rated below "reasonably
expected" while the measured recall on unseen indirect wording is low."""

from __future__ import annotations

from scripts import clinical_safety
from tests.safety import test_heldout_sets as heldout

# Below this recall on unseen wording, a miss is "reasonably expected in many cases" at the
# chatbot's volume: DCB0129 likelihood 4 (High) or more.
RECALL_FOR_LIKELIHOOD_BELOW_4 = 0.9


def test_the_crisis_miss_rating_follows_the_measured_recall() -> None:
    """H01's residual likelihood is at least 4 while the unseen-wording recall estimate (the
    first run of the round named in UNSEEN_ESTIMATE) is below 90 %."""
    round_, category = heldout.UNSEEN_ESTIMATE
    right, total = heldout.FIRST_RUN[round_][category]
    h01 = next(h for h in clinical_safety.load_log()["hazards"] if h["id"] == "H01")
    if right / total < RECALL_FOR_LIKELIHOOD_BELOW_4:
        assert h01["residual"]["likelihood"] >= 4


def test_every_residual_rating_says_what_it_rests_on() -> None:
    """Each hazard's residual_basis names a measured figure or says it was not measured."""
    for hazard in clinical_safety.load_log()["hazards"]:
        basis = " ".join(hazard["residual_basis"].split()).lower()
        assert "measured" in basis, hazard["id"]
