"""Out of hours (H27): every crisis reply names a service open at any hour before it mentions
the nurse team, whose follow-up waits for office hours; for every nation, age band and
language the reply is composed for."""

from __future__ import annotations

import itertools
import re

import pytest

from shared.platform import CRISIS_CATEGORIES
from shared.signposting import Person, compose, load_signposting

# A service that answers at any hour, as the shipped texts name it (999 is always open).
ALWAYS_OPEN = re.compile(r"\b999\b|24 hours a day|24/7|24 awr")
NATIONS = (None, "england", "wales", "scotland", "northern_ireland")
AGES = (None, "under_18", "adult")
LANGUAGES = ("en", "cy")
PEOPLE = [
    Person(nation=nation, age_band=age, language=language)
    for nation, age, language in itertools.product(NATIONS, AGES, LANGUAGES)
]
NURSE_TEAM = re.compile(r"nurse team|tîm nyrsio|nyrsys", re.IGNORECASE)


def _reply(category: str, person: Person) -> str:
    return compose(load_signposting(), category, person).text


@pytest.mark.safety("H27")
@pytest.mark.parametrize("category", CRISIS_CATEGORIES)
def test_every_crisis_reply_names_a_service_open_at_any_hour(category: str) -> None:
    """Each category's crisis reply, for every person, names at least one always-open
    service."""
    for person in PEOPLE:
        assert ALWAYS_OPEN.search(_reply(category, person)), person


@pytest.mark.safety("H27")
@pytest.mark.parametrize("category", CRISIS_CATEGORIES)
def test_the_always_open_service_comes_before_the_nurse_team(category: str) -> None:
    """The always-open service is named before the reply mentions the nurse team."""
    for person in PEOPLE:
        text = _reply(category, person)
        first_service = ALWAYS_OPEN.search(text)
        nurses = NURSE_TEAM.search(text)
        assert first_service is not None, person
        assert nurses is None or first_service.start() < nurses.start(), person
