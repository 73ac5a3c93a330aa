"""Phrasing families, guards and context guards added from the held-out rounds.

These messages came from probing the detector after each round (they are not in the held-out
sets, which are only scored against floors): each case pins one kind of phrasing.
"""

from __future__ import annotations

import pytest

from shared.safety.crisis import CrisisDetector, load_detector


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_detector()


def category(detector: CrisisDetector, *turns: str) -> str | None:
    match = detector.detect(list(turns))
    return match.category if match else None


@pytest.mark.safety("H01")
@pytest.mark.parametrize(
    "text",
    [
        "i want to top myself",
        "gonna do meself in tonite",
        "thinking of ending myself",
        "planing my exit tbh",
        "my voices are telling me to jump",
        "there's nothing keeping me here anymore",
        "no1 would come to my funeral",
        "I've necked the lot",
        "ive been cuttin again",
        "i keep slicing my arms",
        "i wish the bus had hit me",
        "If it wasn't for my kids I'd have ended it by now",
        "would it be so bad if I just didn't wake up",
        "I deliberately burned myself with the iron",
        "i'm going to walk into the sea",
        "I took three packets of co-codamol",
        "the thought of not waking up makes me feel calm",
    ],
)
def test_uk_slang_euphemism_and_means_fire_as_self_harm(
    detector: CrisisDetector, text: str
) -> None:
    """Slang ("top myself"), euphemism ("planning my exit"), means and relief at death fire."""
    assert category(detector, text) == "self_harm"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("temp 38.1, had chemo tuesday", "medical_emergency"),
        ("on carboplatin and burning up", "medical_emergency"),
        ("feels like an elephant is sitting on my chest", "medical_emergency"),
        ("pain going down my left arm", "medical_emergency"),
        ("soaked two pads in an hour and my heart is racing", "medical_emergency"),
        ("he put his hands on me again", "safeguarding"),
        ("he's outside the door and won't go away", "safeguarding"),
        ("my husband has locked all the doors and taken my keys", "safeguarding"),
        ("my sister's husband is beating her", "safeguarding"),
        ("domestic abuse, I need to get out safely", "safeguarding"),
    ],
)
def test_medical_and_safeguarding_families_fire(
    detector: CrisisDetector, text: str, expected: str
) -> None:
    """New phrasings of fever on chemo, chest pain, shock, violence and escape get their reply."""
    assert category(detector, text) == expected


@pytest.mark.safety("H12")
@pytest.mark.parametrize(
    "text",
    [
        "i nearly had a heart attack when the bill came",
        "I want to die my hair pink after chemo",
        "I need to cut myself some slack",
        "I've been killing myself trying to get everything done before surgery",
        "is there a link between HRT and suicide?",
        "my counsellor asked if I'd ever thought about suicide, I said no",
        "I've never felt like hurting myself but I'm low",
        "I'd rather be dead than bald, joke! Will my hair grow back?",
        "I'm planning my funeral, what songs do people usually choose?",
        "We're going to the bridge tonight for the fireworks",
        "I'm sorry, thanks for all your help",
        "my tablets are lined up in my dosette box",
        "I've decided to stop the HRT, I'm done with it.",
        "I'm not going through chemo again, I've decided",
        "I cut my finger on the knife, it bled loads",
        "my ex won't leave me alone about money",
        "My husband said he'd kill me if I didn't rest, so I'm resting",
        "I'm scared to go home after surgery because of the stairs",
        "My chest hurts when I cough since I had the flu",
        "Can you get sepsis from chemo?",
    ],
)
def test_idioms_decisions_and_questions_stay_quiet(detector: CrisisDetector, text: str) -> None:
    """Idioms, a denied screening question, ordinary decisions and questions do not fire."""
    assert detector.detect([text]) is None


def test_negation_may_run_into_the_match(detector: CrisisDetector) -> None:
    """In "no thoughts of ending my life" the filler "thoughts of" runs into the match."""
    assert detector.detect(["No thoughts of ending my life, just tired"]) is None


def test_a_cue_inside_the_match_is_not_a_negation(detector: CrisisDetector) -> None:
    """Reading into the match never takes its own "not" as a negation."""
    assert category(detector, "i do not want to live anymore") == "self_harm"


def test_accidental_injury_with_a_coping_reason_fires(detector: CrisisDetector) -> None:
    """An everyday object does not make an injury accidental when it is done to cope."""
    text = "i burnt myself with the iron again, i do it when everything gets too much"
    assert category(detector, text) == "self_harm"


@pytest.mark.safety("H12")
@pytest.mark.parametrize(
    "text",
    [
        "I've written letters for my kids for when I'm gone",
        "I've said my goodbyes to my family, the palliative team say it's days now",
        "thinking about dying makes me feel at peace, the hospice chaplain helped",
    ],
)
def test_end_of_life_talk_in_a_hospice_message_stays_quiet(
    detector: CrisisDetector, text: str
) -> None:
    """Goodbyes and arrangements are end-of-life talk when the message is about palliative care."""
    assert detector.detect([text]) is None


@pytest.mark.parametrize(
    "text",
    [
        "I'm in a hospice and I want to kill myself",
        "The hospice is lovely but I've been saving my morphine to take it all at once",
    ],
)
def test_a_hospice_context_never_mutes_suicidal_intent(detector: CrisisDetector, text: str) -> None:
    """The palliative context guard mutes goodbye families only, never intent or means."""
    assert category(detector, text) == "self_harm"


def test_a_context_guard_mutes_only_the_message_it_is_in(detector: CrisisDetector) -> None:
    """A hospice mentioned in an earlier turn does not mute a goodbye in the latest one."""
    turns = ("my mum's hospice nurse was lovely", "I've said my goodbyes to everyone")
    assert category(detector, *turns) == "self_harm"


@pytest.mark.safety("H01")
def test_means_and_now_in_different_turns_fire(detector: CrisisDetector) -> None:
    """Access to means in one turn and "tonight" in the next add up to a crisis."""
    assert category(detector, "I bought some rope", "I'm going to use it tonight") == "self_harm"
