"""Every pre-approved reply in config/safety-config.json: safe wording and the right numbers."""

from __future__ import annotations

import re

import pytest

from shared.platform.config import SafetyConfig, load_config
from shared.safety.output_guard import guard_answer, prohibited_match

NURSE_LINE = "0808 802 0019"


@pytest.fixture(scope="module")
def safety() -> SafetyConfig:
    return load_config().safety


def configured_replies() -> list[tuple[str, str]]:
    safety = load_config().safety
    replies = [(f"crisis:{name}", text) for name, text in safety.crisis_responses.items()]
    return [*replies, ("emergency:general", safety.emergency_general)]


@pytest.mark.safety("H05")
@pytest.mark.parametrize(("name", "text"), configured_replies())
def test_no_configured_reply_uses_prohibited_language(
    safety: SafetyConfig, name: str, text: str
) -> None:
    """No crisis or tier-4 reply contains diagnosis or prescription language."""
    assert prohibited_match(text, safety.prohibited_patterns) is None, name


@pytest.mark.safety("H05")
@pytest.mark.parametrize(("name", "text"), configured_replies())
def test_configured_replies_pass_the_output_guard_unchanged(
    safety: SafetyConfig, name: str, text: str
) -> None:
    """The pre-approved replies only mention allowlisted sites, so the guard leaves them be."""
    result = guard_answer(text, safety)
    assert (result.ok, result.text, result.removed_links) == (True, text, 0), name


@pytest.mark.safety("H02", "H17")
@pytest.mark.parametrize(("name", "text"), configured_replies())
def test_the_nurse_line_is_never_a_crisis_line(name: str, text: str) -> None:
    """Where the nurse line appears, it is not offered as a crisis or 24-hour service."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        if NURSE_LINE in sentence:
            assert not re.search(r"24/7|24 hours|any ?time|emergency", sentence, re.I), name
            if re.search(r"crisis", sentence, re.I):
                assert re.search(r"\bnot a crisis line\b", sentence, re.I), name


@pytest.mark.safety("H02")
def test_self_harm_reply_lists_the_crisis_services(safety: SafetyConfig) -> None:
    """999 / A&E, Samaritans 116 123, SHOUT on 85258 and NHS 111 option 2 are all given."""
    text = safety.crisis_responses["self_harm"]
    for needed in ("999", "A&E", "Samaritans", "116 123", "SHOUT", "85258", "111", "option 2"):
        assert needed in text, needed


@pytest.mark.safety("H02")
def test_medical_reply_sends_to_999_before_111(safety: SafetyConfig) -> None:
    """The medical emergency reply says 999 or A&E first, then NHS 111."""
    text = safety.crisis_responses["medical_emergency"]
    assert "A&E" in text
    assert "NHS 111" in text
    assert text.index("999") < text.index("111")


@pytest.mark.safety("H02")
def test_safeguarding_reply_gives_999_and_the_helpline(safety: SafetyConfig) -> None:
    """The safeguarding reply gives 999 and the National Domestic Abuse Helpline."""
    text = safety.crisis_responses["safeguarding"]
    assert "999" in text
    assert "0808 2000 247" in text


@pytest.mark.safety("H02")
def test_tier_four_reply_signposts_and_says_it_is_automatic(safety: SafetyConfig) -> None:
    """The reply used when every LLM is down signposts GP, 111, nurse line and the website."""
    text = safety.emergency_general
    for needed in ("GP", "NHS 111", NURSE_LINE, "eveappeal.org.uk"):
        assert needed in text, needed
    assert "automatic reply" in text.lower()


@pytest.mark.safety("H17")
@pytest.mark.parametrize(("name", "text"), configured_replies())
def test_every_reply_says_it_is_automatic(name: str, text: str) -> None:
    """Nobody mistakes a pre-approved reply for a person."""
    assert "automatic reply" in text.lower(), name
