"""The red-flag taxonomy: every class has a source and patterns, and fires both ways.

The classes live in ``config/crisis-patterns.json`` (``classes``); each names the signals that
cover it. A match reports the classes of the signals that fired (``CrisisMatch.classes``) and
the language of the phrasing (``CrisisMatch.language``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from scripts import crisis_taxonomy
from shared.platform.config import ConfigError
from shared.safety.crisis import (
    DEFAULT_PATTERNS_PATH,
    CrisisDetector,
    CrisisMatch,
    load_detector,
    parse_patterns,
)
from tests.safety import taxonomy_cases as cases

CHECKED = "2026-12-08"
FIRES = [(cid, text) for cid, (fire, _) in sorted(cases.CLASS_CASES.items()) for text in fire]
QUIET = [(cid, text) for cid, (_, quiet) in sorted(cases.CLASS_CASES.items()) for text in quiet]


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector()


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_PATTERNS_PATH.read_text(encoding="utf-8"))
    return data


@pytest.mark.safety("H01")
@pytest.mark.parametrize(("class_id", "text"), FIRES)
def test_each_class_fires_with_its_category_and_class(
    detector: CrisisDetector, class_id: str, text: str
) -> None:
    """A message of a class gets that class's category and names the class."""
    match = detector.detect([text])
    assert match is not None
    category = class_id.partition(".")[0]
    assert (match.category, class_id in match.classes) == (category, True)


@pytest.mark.safety("H12")
@pytest.mark.parametrize(("class_id", "text"), QUIET)
def test_each_class_near_miss_stays_quiet(
    detector: CrisisDetector, class_id: str, text: str
) -> None:
    """A near-miss of a class (same words, ordinary meaning) does not fire at all."""
    assert detector.detect([text]) is None, class_id


@pytest.mark.safety("H01")
def test_every_class_has_cases_both_ways(detector: CrisisDetector) -> None:
    """Each configured class has messages that fire and near-misses, and no case names a
    class that is not configured."""
    configured = {c.id for c in detector.patterns.classes}
    assert set(cases.CLASS_CASES) == configured
    assert all(fire and quiet for fire, quiet in cases.CLASS_CASES.values())


@pytest.mark.safety("H01")
def test_every_signal_that_can_fire_belongs_to_a_class(detector: CrisisDetector) -> None:
    """Every strong family, combination and concept rule is covered by a class, so a match
    always names at least one class."""
    patterns = detector.patterns
    firing = {f.name for f in patterns.families if f.strong}
    firing |= {c.name for c in patterns.combinations} | {r.name for r in patterns.concept_rules}
    assert firing - set(patterns.class_of) == set()


@pytest.mark.safety("H01")
def test_every_class_names_a_dated_public_source(detector: CrisisDetector) -> None:
    """Each class names at least one source with a title, publisher, https address and the
    date it was checked."""
    for crisis_class in detector.patterns.classes:
        assert crisis_class.sources, crisis_class.id
        for source in crisis_class.sources:
            assert source.title, crisis_class.id
            assert source.publisher, crisis_class.id
            assert source.url.startswith("https://"), crisis_class.id
            assert source.checked == CHECKED, crisis_class.id


def test_the_taxonomy_has_the_classes_the_issue_names(detector: CrisisDetector) -> None:
    """The classes named as the minimum (UKONS red flags, NHS 999, NICE NG51 and NG225,
    children, FGM, adults at risk, domestic abuse, exploitation, slavery) are all present."""
    required = {
        "medical_emergency.neutropenic_sepsis",
        "medical_emergency.anaphylaxis_or_infusion_reaction",
        "medical_emergency.chest_pain",
        "medical_emergency.breathlessness",
        "medical_emergency.severe_bleeding",
        "medical_emergency.bowel_obstruction",
        "medical_emergency.spinal_cord_compression",
        "medical_emergency.acute_confusion",
        "medical_emergency.stroke",
        "medical_emergency.collapse_or_unconscious",
        "medical_emergency.not_breathing",
        "medical_emergency.sepsis",
        "medical_emergency.child_ingestion",
        "self_harm.overdose_taken",
        "self_harm.method_or_plan",
        "self_harm.means_access",
        "self_harm.farewell_or_final_acts",
        "safeguarding.child_disclosure",
        "safeguarding.child_abuse_reported",
        "safeguarding.fgm_reported",
        "safeguarding.adult_at_risk_reported",
        "safeguarding.domestic_abuse",
        "safeguarding.sexual_exploitation",
        "safeguarding.modern_slavery",
    }
    assert required <= {c.id for c in detector.patterns.classes}


@pytest.mark.safety("H01", "H24")
@pytest.mark.parametrize(("text", "category", "class_id", "language"), cases.LANGUAGE_CASES)
def test_welsh_and_spanish_phrases_fire_with_their_language(
    detector: CrisisDetector, text: str, category: str, class_id: str, language: str
) -> None:
    """A Welsh or Spanish crisis phrase fires in its category and class and says its language."""
    match = detector.detect([text])
    assert match is not None
    assert (match.category, class_id in match.classes, match.language) == (
        category,
        True,
        language,
    )


@pytest.mark.safety("H12")
@pytest.mark.parametrize("text", cases.LANGUAGE_QUIET)
def test_welsh_and_spanish_near_misses_stay_quiet(detector: CrisisDetector, text: str) -> None:
    """Negated wishes, statistics questions and everyday sentences in Welsh or Spanish are quiet."""
    assert detector.detect([text]) is None


def test_english_matches_say_english(detector: CrisisDetector) -> None:
    """A match on English phrasing reports language "en"."""
    match = detector.detect(["I want to kill myself"])
    assert match is not None
    assert match.language == "en"


def test_language_families_say_how_far_their_wording_is_verified(
    detector: CrisisDetector, shipped: dict[str, Any]
) -> None:
    """Every Welsh and Spanish family carries a wording note for the reviewer."""
    families = [
        f for c in shipped["categories"].values() for f in c["families"] if f.get("language")
    ]
    assert {f["language"] for f in families} == {"cy", "es"}
    assert all(f["wording_note"].strip() for f in families)


@pytest.mark.safety("H12")
@pytest.mark.parametrize("text", cases.BELOW_FEVER_THRESHOLD)
def test_a_temperature_below_37_5_is_not_a_fever(detector: CrisisDetector, text: str) -> None:
    """A reading under 37.5 C, even with chemotherapy and the word fever, does not fire."""
    assert detector.detect([text]) is None


@pytest.mark.safety("H01")
@pytest.mark.parametrize("text", cases.AT_OR_ABOVE_FEVER_THRESHOLD)
def test_a_temperature_of_37_5_or_more_after_chemotherapy_fires(
    detector: CrisisDetector, text: str
) -> None:
    """A reading of 37.5 C or more with chemotherapy is possible neutropenic sepsis."""
    match = detector.detect([text])
    assert match is not None
    assert "medical_emergency.neutropenic_sepsis" in match.classes


@pytest.mark.safety("H12")
@pytest.mark.parametrize("text", cases.MEDIA_QUIET)
def test_fiction_and_the_media_are_someone_elses_story(detector: CrisisDetector, text: str) -> None:
    """A film, programme or storyline about a crisis is not the writer's crisis."""
    assert detector.detect([text]) is None


@pytest.mark.safety("H01")
@pytest.mark.parametrize("text", cases.MEDIA_STILL_FIRES)
def test_the_media_guard_does_not_hide_the_writers_own_crisis(
    detector: CrisisDetector, text: str
) -> None:
    """The media guard stops at the topic: the writer's own act or intent after it still fires."""
    assert detector.detect([text]) is not None


def test_someone_elses_abuse_is_a_reported_class(detector: CrisisDetector) -> None:
    """Signals about someone else's abuse map only to classes ending in _reported."""
    reported = {
        "someone_else_abused_now",
        "child_at_risk",
        "child_abuse_reported",
        "fgm_risk_reported",
        "adult_neglect_or_abuse_reported",
        "sexual_exploitation_reported",
    }
    for name in reported:
        assert all(c.endswith("_reported") for c in detector.patterns.class_of[name]), name


@pytest.mark.safety("H01")
def test_the_reviewers_table_is_generated_from_the_file(detector: CrisisDetector) -> None:
    """config/README-crisis-patterns.md lists exactly the classes, sources and signals of the
    shipped file (regenerate with ``python -m scripts.crisis_taxonomy``)."""
    readme = crisis_taxonomy.README.read_text(encoding="utf-8")
    assert crisis_taxonomy.generated(readme) == crisis_taxonomy.render(detector.patterns)


def test_the_reviewers_table_names_every_class(detector: CrisisDetector) -> None:
    """The generated table has a row for each class (the check above cannot pass vacuously)."""
    table = crisis_taxonomy.render(detector.patterns)
    assert all(f"| `{c.id}` |" in table for c in detector.patterns.classes)


def test_a_match_built_the_old_way_still_works() -> None:
    """CrisisMatch(category, signals) keeps working: no classes, language English."""
    match = CrisisMatch("self_harm", ("overdose",))
    assert (match.classes, match.language) == ((), "en")


def first_class(data: dict[str, Any]) -> dict[str, Any]:
    crisis_class: dict[str, Any] = data["classes"][0]
    return crisis_class


def first_welsh_family(data: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in data["categories"]["self_harm"]["families"] if f.get("language") == "cy")


EDITS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown signal", lambda d: first_class(d)["signals"].append("nope"), "'nope' is not"),
    ("weak family", lambda d: first_class(d)["signals"].append("hopelessness"), "hopelessness"),
    (
        "other category's signal",
        lambda d: first_class(d)["signals"].append("chest_pain"),
        "'chest_pain' is not a signal of self_harm",
    ),
    ("bad id", lambda d: first_class(d).update(id="selfharm"), "classes[0].id"),
    ("unknown category", lambda d: first_class(d).update(id="anxiety.panic"), "unknown category"),
    ("no source", lambda d: first_class(d).update(sources=[]), "classes[0].sources"),
    (
        "plain http",
        lambda d: first_class(d)["sources"][0].update(url="http://example.org"),
        "https://",
    ),
    (
        "undated source",
        lambda d: first_class(d)["sources"][0].update(checked="December"),
        "classes[0].sources[0].checked",
    ),
    ("bad language", lambda d: first_welsh_family(d).update(language="fr"), "must be one of"),
    (
        "language without a wording note",
        lambda d: first_welsh_family(d).pop("wording_note"),
        "needs a wording_note",
    ),
]


@pytest.mark.safety("H14")
@pytest.mark.parametrize(("label", "edit", "where"), EDITS, ids=[e[0] for e in EDITS])
def test_an_invalid_taxonomy_names_the_field(
    shipped: dict[str, Any], label: str, edit: Callable[[dict[str, Any]], None], where: str
) -> None:
    """A mistake in a class or a language family fails loudly and says where."""
    data = copy.deepcopy(shipped)
    edit(data)
    with pytest.raises(ConfigError) as caught:
        parse_patterns(data)
    assert where in str(caught.value), label
