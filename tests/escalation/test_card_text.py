"""What a person wrote reaches the nurse's Teams card as inert text: links redacted in any
form, markdown escaped (H03: an alert the nurse cannot trust, or one that sends them to an
attacker's page)."""

from __future__ import annotations

import pytest

from shared.escalation import Escalation
from shared.escalation.markdown import escape_markdown
from shared.escalation.model import teams_message
from shared.safety import excerpt

INJECTION = "**URGENT** [Acknowledge here](HTTPS://evil.example/ack)"


def card_values(escalation: Escalation) -> list[str]:
    content = teams_message(escalation)["attachments"][0]["content"]
    title, facts = content["body"]
    return [title["text"], *(fact["value"] for fact in facts["facts"])]


def crisis_with_excerpt(text: str) -> Escalation:
    return Escalation(
        id="esc-" + "ab" * 16,
        audience="clinical",
        kind="crisis",
        title="Ask Eve crisis message: self harm",
        created_at="2026-12-08T01:00:00+00:00",
        category="self_harm",
        excerpt=excerpt(text, 160),
    )


@pytest.mark.safety("H03")
@pytest.mark.parametrize(
    "link",
    [
        "HTTPS://evil.example/ack",
        "Http://evil.example",
        "www.evil.example/ack",
        "WWW.Evil.Example",
        "//evil.example/ack",
        "hxxps://evil.example",
    ],
)
def test_links_are_redacted_in_any_case_and_form(link: str) -> None:
    """Upper case, ``www.`` and scheme-relative links are all replaced by ``[link]``."""
    redacted = excerpt(f"please open {link} now", 160)
    assert redacted == "please open [link] now"


@pytest.mark.safety("H03")
def test_the_reviewed_injection_reaches_the_card_without_markdown_or_link() -> None:
    """The issue's case: no bold, no link text, no address survives into the card."""
    values = card_values(crisis_with_excerpt(INJECTION))
    shown = values[-1]
    assert "evil.example" not in shown
    assert "**" not in shown.replace("\\*", "")
    assert "](" not in shown.replace("\\]", "").replace("\\(", "")
    assert shown == "\\*\\*URGENT\\*\\* \\[Acknowledge here\\]\\(\\[link\\]"


@pytest.mark.safety("H03")
@pytest.mark.parametrize("char", ["[", "]", "(", ")", "*", "_", "`", "#", ">", "~", "\\"])
def test_every_markdown_control_character_is_escaped(char: str) -> None:
    """Each control character is preceded by a backslash."""
    assert escape_markdown(f"a{char}b") == f"a\\{char}b"


@pytest.mark.safety("H03")
def test_a_newline_cannot_start_a_heading_or_quote() -> None:
    """Values are flattened to one line before escaping."""
    assert escape_markdown("hi\n# Heading\n> quote") == "hi \\# Heading \\> quote"


@pytest.mark.safety("H03")
def test_every_value_from_a_person_is_escaped_and_system_text_is_not() -> None:
    """The excerpt (the only value a person wrote) is escaped in every card that carries it,
    a reminder included; titles and facts the service wrote stay as written."""
    crisis = crisis_with_excerpt("*help* me")
    reminder = crisis.derived(
        id="esc-" + "cd" * 16,
        audience="supervisor",
        kind="unacknowledged",
        title="[ack-overdue] Not acknowledged",
        created_at="2026-12-08T01:05:00+00:00",
    )
    values = card_values(reminder)
    assert values[0] == "[ack-overdue] Not acknowledged"
    assert values[-1] == "\\*help\\* me"
