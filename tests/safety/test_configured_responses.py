"""Every composed crisis and emergency reply, for every nation x age x language x audience:
the right numbers present, the wrong ones absent, safe wording, and the same numbers in Welsh.

The expected numbers below are written here from the services' own pages (the sources in
config/uk-services.json), not read from the config, so a wrong number in the config fails.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import pytest

from shared.platform.config import SafetyConfig, load_config
from shared.safety.output_guard import guard_answer, prohibited_match
from shared.signposting import Person, Signposting, compose, load_signposting, person_for

NURSE_LINE = "0808 802 0019"
NATIONS = (None, "england", "wales", "scotland", "northern_ireland")
AGES = (None, "under_18", "adult")
LANGUAGES = ("en", "cy")
# Who the message is about, as the detector's classes say.
AUDIENCES = {
    "self": (),
    "reported_adult": ("safeguarding.domestic_abuse_reported",),
    "reported_child": ("safeguarding.child_abuse_reported",),
    "child_disclosure": ("safeguarding.child_disclosure",),
}
REPLIES = ("self_harm", "medical_emergency", "safeguarding", "emergency")

# What each nation has that the others do not, per reply (numbers, or the website where a
# service has no single number).
NATION_ONLY = {
    "self_harm": {
        "england": ["mental health option"],
        "wales": ["press 2"],
        "scotland": ["Mental Health Hub"],
        "northern_ireland": ["0808 808 8000"],
    },
    "medical_emergency": {
        "england": ["111.nhs.uk"],
        "wales": ["111.wales.nhs.uk"],
        "scotland": ["nhsinform.scot"],
        "northern_ireland": ["gpoutofhours.hscni.net"],
    },
    "safeguarding": {
        "england": ["0808 2000 247"],
        "wales": ["0808 80 10 800"],
        "scotland": ["0800 027 1234", "08088 01 03 02"],
        "northern_ireland": ["0808 802 1414"],
    },
    "emergency": {
        "england": ["111.nhs.uk"],
        "wales": ["111.wales.nhs.uk"],
        "scotland": ["nhsinform.scot"],
        "northern_ireland": ["gpoutofhours.hscni.net"],
    },
}
# Welsh wording of the per-nation markers that are words, not numbers.
WELSH_MARKERS = {
    "mental health option": "opsiwn iechyd meddwl",
    "press 2": "GIG 111 Cymru",
    "Mental Health Hub": "Hyb Iechyd Meddwl",
}
RAPE_CRISIS_EW = "247sexualabusesupport.org.uk"
CHILDLINE = "0800 1111"
NSPCC = "0808 800 5000"
WELSH_SAMARITANS = "0808 164 0123"


@dataclass(frozen=True)
class Case:
    reply: str
    nation: str | None
    age: str | None
    language: str
    audience: str

    @property
    def person(self) -> Person:
        return person_for(
            nation=self.nation,
            age_band=self.age,
            language=self.language,
            classes=AUDIENCES[self.audience],
        )

    @property
    def under_18(self) -> bool:
        return self.age == "under_18" or self.audience == "child_disclosure"

    def __str__(self) -> str:
        return f"{self.reply}-{self.nation}-{self.age}-{self.language}-{self.audience}"


CASES = [Case(*combo) for combo in itertools.product(REPLIES, NATIONS, AGES, LANGUAGES, AUDIENCES)]


@pytest.fixture(scope="module")
def signposting() -> Signposting:
    return load_signposting()


@pytest.fixture(scope="module")
def safety() -> SafetyConfig:
    return load_config().safety


def text_of(signposting: Signposting, case: Case) -> str:
    return compose(signposting, case.reply, case.person).text


def marker(text: str, language: str) -> str:
    return WELSH_MARKERS.get(text, text) if language == "cy" else text


def numbers(text: str) -> list[str]:
    """Every phone or text number in ``text``: digit runs with their inner spaces, of three
    digits or more (so hours, ages and "press 2" are not counted)."""
    found = re.findall(r"\d[\d ]*\d|\d", text)
    return sorted(n.strip() for n in found if len(n.replace(" ", "")) >= 3)


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_nation_gets_its_own_services_and_not_the_others(
    signposting: Signposting, case: Case
) -> None:
    """A known nation's reply names that nation's services and no other nation's; an unknown
    nation's reply names every nation's."""
    text = text_of(signposting, case)
    for nation, needed in NATION_ONLY[case.reply].items():
        for item in needed:
            expected = case.nation in (None, nation)
            assert (marker(item, case.language) in text) is expected, (case, item)


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", [c for c in CASES if c.nation == "northern_ireland"], ids=str)
def test_northern_ireland_is_never_sent_to_nhs_111(signposting: Signposting, case: Case) -> None:
    """Northern Ireland has no NHS 111: its replies name Lifeline or GP Out-of-Hours instead."""
    assert not re.search(r"(?<![\d ])111\b", text_of(signposting, case)), case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", [c for c in CASES if c.reply != "emergency"], ids=str)
def test_crisis_replies_lead_with_999(signposting: Signposting, case: Case) -> None:
    """Every crisis reply's first service is 999; self-harm gives Samaritans and Shout next."""
    text = text_of(signposting, case)
    first_service = text.split("\n- ", 1)[1].split("\n", 1)[0]
    assert numbers(first_service)[0] == "999", case
    if case.reply == "self_harm":
        assert "116 123" in text
        assert text.index("999") < text.index("116 123")
        assert "85258" in text


@pytest.mark.safety("H02", "H23")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_childline_is_for_under_18s_and_child_disclosures(
    signposting: Signposting, case: Case
) -> None:
    """Under-18s, and anyone whose message reads as a child's own disclosure, get Childline in
    the self-harm and safeguarding replies; adults do not."""
    text = text_of(signposting, case)
    expected = case.under_18 and case.reply in ("self_harm", "safeguarding")
    assert (CHILDLINE in text) is expected, case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_someone_reporting_a_childs_abuse_gets_the_nspcc(
    signposting: Signposting, case: Case
) -> None:
    """An adult reporting a child's abuse gets the NSPCC helpline; nobody else does."""
    text = text_of(signposting, case)
    expected = (
        case.reply == "safeguarding" and case.audience == "reported_child" and not case.under_18
    )
    assert (NSPCC in text) is expected, case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_worried_adult_is_not_told_it_is_not_their_fault(
    signposting: Signposting, case: Case
) -> None:
    """'Not your fault' is for the person it is happening to, never for someone reporting."""
    text = text_of(signposting, case)
    blame = {"en": "not your fault", "cy": "nid eich bai chi"}[case.language]
    reported = case.audience.startswith("reported")
    expected = case.reply == "safeguarding" and not reported
    assert (blame in text) is expected, case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", [c for c in CASES if c.reply == "safeguarding"], ids=str)
def test_the_silent_solution_says_it_works_only_from_a_mobile(
    signposting: Signposting, case: Case
) -> None:
    """Every safeguarding reply explains 55 and says it works only from a mobile."""
    text = text_of(signposting, case)
    assert "55" in text
    only_mobile = {"en": "works only from a mobile", "cy": "Dim ond o ffôn symudol"}
    assert only_mobile[case.language] in text, case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_rape_crisis_england_and_wales_is_for_adults_there(
    signposting: Signposting, case: Case
) -> None:
    """The Rape Crisis 24/7 Support Line (16 and over, England and Wales) is in adult
    safeguarding replies for England, Wales, or an unknown nation."""
    text = text_of(signposting, case)
    expected = (
        case.reply == "safeguarding"
        and not case.under_18
        and case.nation in (None, "england", "wales")
    )
    assert (RAPE_CRISIS_EW in text) is expected, case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_welsh_language_samaritans_line_is_in_welsh_self_harm_replies(
    signposting: Signposting, case: Case
) -> None:
    """Welsh self-harm replies add the Samaritans Welsh Language Line; others do not."""
    text = text_of(signposting, case)
    expected = case.reply == "self_harm" and case.language == "cy"
    assert (WELSH_SAMARITANS in text) is expected, case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("case", [c for c in CASES if c.language == "cy"], ids=str)
def test_welsh_replies_give_the_same_numbers_as_english(
    signposting: Signposting, case: Case
) -> None:
    """A Welsh reply has exactly the English reply's numbers (plus the Welsh-language line)."""
    welsh = numbers(text_of(signposting, case))
    english = numbers(compose(signposting, case.reply, Person(**_fields(case, "en"))).text)
    extra = [WELSH_SAMARITANS] if case.reply == "self_harm" else []
    assert welsh == sorted([*english, *extra]), case


def _fields(case: Case, language: str) -> dict[str, object]:
    person = case.person
    return {
        "nation": person.nation,
        "age_band": person.age_band,
        "language": language,
        "reported": person.reported,
        "reported_child": person.reported_child,
        "child_disclosure": person.child_disclosure,
    }


@pytest.mark.safety("H05")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_no_configured_reply_uses_prohibited_language(
    signposting: Signposting, safety: SafetyConfig, case: Case
) -> None:
    """No crisis or emergency reply contains diagnosis or prescription language."""
    assert prohibited_match(text_of(signposting, case), safety.prohibited_patterns) is None


@pytest.mark.safety("H05")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_configured_replies_pass_the_output_guard_unchanged(
    signposting: Signposting, safety: SafetyConfig, case: Case
) -> None:
    """Every site a reply names is allowlisted, so the guard leaves the reply as it is."""
    text = text_of(signposting, case)
    result = guard_answer(text, safety)
    assert (result.ok, result.text, result.removed_links) == (True, text, 0), case


@pytest.mark.safety("H02", "H17")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_nurse_line_is_never_a_crisis_line(signposting: Signposting, case: Case) -> None:
    """Where the nurse line appears, it is not offered as a crisis or 24-hour service."""
    not_crisis = {"en": r"\bnot a crisis line\b", "cy": r"\bNid llinell argyfwng\b"}
    for paragraph in text_of(signposting, case).split("\n\n"):
        if NURSE_LINE in paragraph:
            assert not re.search(r"24/7|24 hours|24 awr|any ?time|unrhyw bryd", paragraph, re.I)
            if case.reply != "emergency":
                assert re.search(not_crisis[case.language], paragraph), case


@pytest.mark.safety("H02")
@pytest.mark.parametrize("language", LANGUAGES)
def test_self_harm_reply_lists_the_crisis_services(signposting: Signposting, language: str) -> None:
    """999 / A&E, Samaritans 116 123, Shout on 85258 and each nation's urgent mental health
    route are all given when the nation is not known."""
    text = compose(signposting, "self_harm", Person(language=language)).text
    for needed in ("999", "A&E", "116 123", "85258", "111", "0808 808 8000"):
        assert needed in text, needed


@pytest.mark.safety("H02")
@pytest.mark.parametrize("nation", NATIONS)
def test_medical_reply_sends_to_999_before_111(signposting: Signposting, nation: str) -> None:
    """The medical emergency reply says 999 or A&E first, then the nation's urgent advice line."""
    text = compose(signposting, "medical_emergency", Person(nation=nation)).text
    assert "A&E" in text
    assert text.index("999") < min(
        text.index(x) for x in ("111", "gpoutofhours.hscni.net") if x in text
    )


@pytest.mark.safety("H02")
def test_safeguarding_reply_gives_999_and_the_helpline(signposting: Signposting) -> None:
    """The safeguarding reply for England gives 999 and the National Domestic Abuse Helpline."""
    text = compose(signposting, "safeguarding", Person(nation="england")).text
    assert "999" in text
    assert "0808 2000 247" in text


@pytest.mark.safety("H02")
@pytest.mark.parametrize("nation", NATIONS)
def test_tier_four_reply_signposts_and_says_it_is_automatic(
    signposting: Signposting, nation: str | None
) -> None:
    """The reply used when every LLM is down signposts a GP, the nation's urgent advice, the
    nurse line and the website."""
    text = compose(signposting, "emergency", Person(nation=nation)).text
    for needed in ("GP", NURSE_LINE, "eveappeal.org.uk"):
        assert needed in text, needed
    assert "automatic reply" in text.lower()


@pytest.mark.safety("H17")
@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_reply_says_it_is_automatic(signposting: Signposting, case: Case) -> None:
    """Nobody mistakes a pre-approved reply for a person, in either language."""
    automatic = {"en": "This is an automatic reply.", "cy": "Ateb awtomatig yw hwn."}
    assert text_of(signposting, case).endswith(automatic[case.language]), case
