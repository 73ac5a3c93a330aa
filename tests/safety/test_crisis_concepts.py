"""The compositional self-harm layer: concept classes combined within a clause window."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from shared.platform.config import ConfigError
from shared.safety.crisis import (
    DEFAULT_PATTERNS_PATH,
    CrisisDetector,
    load_detector,
    parse_patterns,
)

RULES = {
    "wish_to_be_dead_or_gone",
    "self_directed_act_intended",
    "means_prepared",
    "others_better_off_without_me",
    "veiled_act_by_me",
    "burden_resolved_by_me",
    "wish_to_join_the_dead",
    "affairs_in_order_with_distress",
    "defiant_ending",
    "means_laid_out",
    "broad_net_distress_and_escape",
    "means_and_readiness",
}


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector()


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_PATTERNS_PATH.read_text(encoding="utf-8"))
    return data


def rules_in(detector: CrisisDetector, text: str) -> set[str]:
    return set(detector.families_in(text)) & RULES


def test_the_shipped_file_configures_the_concept_rules(detector: CrisisDetector) -> None:
    """The concept rules are loaded from the pattern file, all for self_harm."""
    rules = detector.patterns.concept_rules
    assert {rule.name for rule in rules} == RULES
    assert {rule.category for rule in rules} == {"self_harm"}


@pytest.mark.safety("H01")
@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("honestly i would like to just slip away and be done", "wish_to_be_dead_or_gone"),
        ("thinking about driving into a tree on the motorway", "self_directed_act_intended"),
        ("i have been stashing my oramorph in a drawer", "means_prepared"),
        ("everyone would be happier without me", "others_better_off_without_me"),
    ],
)
def test_each_rule_fires_on_a_typical_combination(
    detector: CrisisDetector, text: str, rule: str
) -> None:
    """Each rule fires when its concept classes meet in one clause window."""
    assert rule in rules_in(detector, text)


def test_concepts_combine_across_adjacent_clauses(detector: CrisisDetector) -> None:
    """An ending in one clause and a wish in the next still combine."""
    assert "wish_to_be_dead_or_gone" in rules_in(detector, "honestly, i want it, to stop existing")


def test_concepts_far_apart_do_not_combine(detector: CrisisDetector) -> None:
    """A wish and a death word three clauses apart are not one statement."""
    text = "i want a cup of tea. the garden is lovely. the dog is fine. my nan died in may"
    assert rules_in(detector, text) == set()


def test_someone_else_as_subject_blocks_the_ending(detector: CrisisDetector) -> None:
    """'She wants to disappear' is about her, not the writer."""
    assert rules_in(detector, "my friend says she wants to disappear forever") == set()


def test_fear_before_the_ending_blocks_it(detector: CrisisDetector) -> None:
    """Fear that the cancer will take me is fear of death, not a wish for it."""
    assert (
        rules_in(detector, "i hope they are right, i am frightened the cancer will take me")
        == set()
    )


def test_the_writer_after_a_blocker_unblocks_the_ending(detector: CrisisDetector) -> None:
    """In 'he says I should just disappear, and I want to' the writer is the subject again."""
    assert "wish_to_be_dead_or_gone" in rules_in(
        detector, "he thinks i should just disappear and i want to"
    )


def test_a_negated_wish_does_not_count(detector: CrisisDetector) -> None:
    """'I do not want to stop existing' has no wish left to combine."""
    assert rules_in(detector, "i do not wish to disappear") == set()


def test_a_guarded_idiom_does_not_count(detector: CrisisDetector) -> None:
    """'I could sleep forever' after a long day is tiredness."""
    assert rules_in(detector, "i just want my bed, i could sleep forever") == set()


def test_a_concept_alone_never_fires(detector: CrisisDetector) -> None:
    """A death word with no wish, plan or hopelessness is not a signal."""
    assert detector.detect(["i keep thinking about death since the diagnosis"]) is None


def test_rule_names_are_reported_as_signals(detector: CrisisDetector) -> None:
    """A rule fires as a strong self_harm signal named by the rule, never by text."""
    match = detector.detect(["part of me is hoping i slip away in my sleep tonight"])
    assert match is not None
    assert match.category == "self_harm"
    assert "wish_to_be_dead_or_gone" in match.signals


@pytest.mark.safety("H01")
def test_a_rule_in_an_earlier_turn_still_counts(detector: CrisisDetector) -> None:
    """Like a strong family, a rule found a turn ago still answers with the crisis reply."""
    match = detector.detect(["everyone would be happier without me", "what time is it"])
    assert match is not None
    assert match.category == "self_harm"


def test_the_index_and_exhaustive_search_agree_with_concepts(detector: CrisisDetector) -> None:
    """The concept layer gives the same answer with and without the word index."""
    text = "i have been stashing my oramorph in a drawer"
    assert detector.families_in(text) == detector.families_in(text, exhaustive=True)


def test_a_rule_naming_an_unknown_concept_is_rejected(shipped: dict[str, Any]) -> None:
    """A typo in a rule's concept names fails loading and says where."""
    data = copy.deepcopy(shipped)
    data["categories"]["self_harm"]["concept_rules"][0]["all_of"][0] = ["endng_state"]
    with pytest.raises(ConfigError, match=r"concept_rules\[0\]\.all_of: unknown concept"):
        parse_patterns(data)


def test_a_blocker_naming_an_unknown_concept_is_rejected(shipped: dict[str, Any]) -> None:
    """A typo in blocked_by fails loading and says where."""
    data = copy.deepcopy(shipped)
    concept = next(
        c for c in data["categories"]["self_harm"]["concepts"] if c["name"] == "ending_state"
    )
    concept["blocked_by"] = ["nobody"]
    with pytest.raises(ConfigError, match=r"blocked_by\[0\]: unknown concept"):
        parse_patterns(data)


def test_a_rule_may_not_reuse_a_family_name(shipped: dict[str, Any]) -> None:
    """Signal names are unique, so a nurse can tell a rule from a family."""
    data = copy.deepcopy(shipped)
    data["categories"]["self_harm"]["concept_rules"][0]["name"] = "overdose"
    with pytest.raises(ConfigError, match="duplicate signal name 'overdose'"):
        parse_patterns(data)


def test_a_context_guard_may_mute_a_rule(shipped: dict[str, Any]) -> None:
    """Context guards accept concept rule names as well as family names."""
    data = copy.deepcopy(shipped)
    data["context_guards"][0]["families"].append("wish_to_be_dead_or_gone")
    detector = CrisisDetector(parse_patterns(data))
    text = "in the hospice now and i would like to just slip away and be done"
    assert "wish_to_be_dead_or_gone" not in detector.families_in(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("i am scared i will do something stupid tonight", "veiled_act_by_me"),
        ("i am a burden to them all and i will sort it out myself", "burden_resolved_by_me"),
        ("since the funeral i just want to join him", "wish_to_join_the_dead"),
        ("put my affairs in order this week, i have had enough", "affairs_in_order_with_distress"),
        ("nobody can stop me, i will not be here next week", "defiant_ending"),
        ("my tablets are all counted out on the table", "means_laid_out"),
    ],
)
def test_each_implied_ending_rule_fires_on_a_typical_combination(
    detector: CrisisDetector, text: str, rule: str
) -> None:
    """Rules for endings implied by plans, farewells, affairs or reunion fire on their shape."""
    assert rule in rules_in(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "i want to be with my family at christmas, my dad died last year",
        "updated my will today and feel very organised",
        "the tablets are ready to collect from the pharmacy",
        "i am not coming back to this clinic until they apologise",
        "i will fix it myself, the tap has been dripping for weeks",
    ],
)
def test_implied_ending_shapes_without_distress_stay_quiet(
    detector: CrisisDetector, text: str
) -> None:
    """A reunion, a will, ready tablets or a return without distress markers do not fire."""
    assert rules_in(detector, text) == set()
