"""Out of hours (H27): every crisis reply names a service open at any hour before it mentions
the nurse team, whose follow-up waits for office hours."""

from __future__ import annotations

import re

import pytest

from shared.platform import CRISIS_CATEGORIES
from shared.platform.config import load_config

# A service that answers at any hour, as the shipped texts name it (999 is always open).
ALWAYS_OPEN = re.compile(r"\b999\b|24 hours a day|24/7")


@pytest.mark.safety("H27")
@pytest.mark.parametrize("category", CRISIS_CATEGORIES)
def test_every_crisis_reply_names_a_service_open_at_any_hour(category: str) -> None:
    """Each category's crisis reply names at least one always-open service."""
    assert ALWAYS_OPEN.search(load_config().safety.crisis_responses[category])


@pytest.mark.safety("H27")
@pytest.mark.parametrize("category", CRISIS_CATEGORIES)
def test_the_always_open_service_comes_before_the_nurse_team(category: str) -> None:
    """The always-open service is named before the reply mentions the nurse team."""
    text = load_config().safety.crisis_responses[category]
    first_service = ALWAYS_OPEN.search(text)
    nurses = text.find("nurse team")
    assert first_service is not None
    assert nurses == -1 or first_service.start() < nurses
