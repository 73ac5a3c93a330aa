"""The output guard: allowlisted links only, and no diagnosis or prescription language."""

from __future__ import annotations

import pytest

from shared.platform.config import SafetyConfig, load_config
from shared.safety.output_guard import GuardResult, guard_answer, host_allowed, remove_links


@pytest.fixture(scope="module")
def safety() -> SafetyConfig:
    return load_config().safety


ALLOWLIST = ("eveappeal.org.uk", "nhs.uk")


@pytest.mark.safety("H06")
@pytest.mark.parametrize(
    "url",
    [
        "https://eveappeal.org.uk",
        "https://www.nhs.uk/conditions/ovarian-cancer/",
        "http://111.nhs.uk",
        "www.nhs.uk/conditions",
        "https://WWW.NHS.UK/",
        "https://www.nhs.uk:443/x",
        "nhs.uk",
    ],
)
def test_allowlisted_domains_and_subdomains_are_allowed(url: str) -> None:
    """An allowlisted domain, any subdomain of it and any path on it are allowed."""
    assert host_allowed(url, ALLOWLIST)


@pytest.mark.safety("H06")
@pytest.mark.parametrize(
    "url",
    [
        "https://nhs.uk.evil.com/",
        "https://evilnhs.uk",
        "https://nhs.uk@evil.com/",
        "https://evil.com\\@nhs.uk",
        "https://evil.com/?next=https://www.nhs.uk",
        "javascript:alert(1)",
        "data:text/html,hello",
        "ftp://nhs.uk/file",
        "https://xn--nhs-9ka.uk/",
        "https://nh\u0455.uk/",
        "https://",
    ],
)
def test_look_alikes_and_other_schemes_are_refused(url: str) -> None:
    """Suffix tricks, user-info, backslashes, other schemes and non-ASCII hosts are refused."""
    assert not host_allowed(url, ALLOWLIST)


@pytest.mark.safety("H06")
@pytest.mark.parametrize(
    ("answer", "expected", "removed"),
    [
        (
            "See [the NHS page](https://www.nhs.uk/conditions/) for more.",
            "See [the NHS page](https://www.nhs.uk/conditions/) for more.",
            0,
        ),
        ("See [this guide](https://evil.com/guide) for more.", "See this guide for more.", 1),
        ("Read more at https://evil.com/page.", "Read more at.", 1),
        ("Read more at https://evil.com/page today", "Read more at today", 1),
        ("Try www.miracle-cure.com for tips", "Try for tips", 1),
        ("Buy at cheap-pills.com now", "Buy at now", 1),
        ("Visit www.nhs.uk or 111.nhs.uk.", "Visit www.nhs.uk or 111.nhs.uk.", 0),
        ("Sources (https://evil.com/x) say so.", "Sources say so.", 1),
        ('Click <a href="https://evil.com">here</a> now', "Click here now", 1),
        ("Go to <https://evil.com/a> now", "Go to now", 1),
        ("![a chart](https://evil.com/chart.png)", "a chart", 1),
        ("[Call us](tel:+441234567890) today", "Call us today", 1),
        ("[Click](javascript:alert(1)) here", "Click here", 1),
        (
            "See [the guide][g] for more.\n\n[g]: https://evil.com/guide",
            "See the guide for more.\n\n",
            1,
        ),
        ("Line one\nhttps://evil.com\nLine three", "Line one\nLine three", 1),
        ("Email the team at someone@example.com", "Email the team at someone@example.com", 0),
    ],
)
def test_links_outside_the_allowlist_are_removed(answer: str, expected: str, removed: int) -> None:
    """Markdown and HTML links keep their text; bare URLs, www forms and domains disappear."""
    assert remove_links(answer, ALLOWLIST) == (expected, removed)


def test_a_safe_answer_passes_with_its_links_cleaned(safety: SafetyConfig) -> None:
    """A safe answer is returned, minus links outside the allowlist, with the count removed."""
    result = guard_answer(
        "Bloating can be a symptom. See https://www.nhs.uk/conditions/ovarian-cancer/ "
        "or https://random-blog.example.net/post for details.",
        safety,
    )
    assert result == GuardResult(
        ok=True,
        text="Bloating can be a symptom. See https://www.nhs.uk/conditions/ovarian-cancer/ "
        "or for details.",
        removed_links=1,
        reason="",
    )


@pytest.mark.safety("H05")
@pytest.mark.parametrize(
    "answer",
    [
        "Based on what you've said, you have ovarian cancer.",
        "You most likely have endometriosis.",
        "You might have a cyst on your ovary.",
        "It sounds like endometriosis.",
        "That sounds like an infection to me.",
        "This is probably benign.",
        "These symptoms suggest cervical cancer.",
        "It could be fibroids.",
        "It's nothing to worry about.",
        "The lump is probably nothing serious, and it's not cancer.",
        "You don't have cancer.",
        "My diagnosis would be PCOS.",
        "Take 400mg of ibuprofen every 8 hours.",
        "I recommend taking ibuprofen.",
        "I'd suggest you start HRT.",
        "You should increase your dose.",
        "You should stop taking your HRT.",
        "You can take 2 paracetamol every four hours.",
        "Try taking paracetamol and ibuprofen together.",
        "- Take two paracetamol tablets\n- Rest",
        "Double your dose if the pain continues.",
        "You don't need to see a doctor about this.",
        "The best treatment for you is a hysterectomy.",
        "You should go on HRT.",
        "You **have** ovarian *cancer*.",
        "You\u2019ve got endometriosis.",
    ],
)
def test_diagnosis_and_prescription_language_is_rejected(safety: SafetyConfig, answer: str) -> None:
    """An answer that diagnoses, reassures or prescribes is rejected as content_filtered."""
    result = guard_answer(answer, safety)
    assert not result.ok
    assert result.text == ""
    assert result.reason.startswith("prohibited_patterns[")


@pytest.mark.safety("H05")
@pytest.mark.parametrize(
    "answer",
    [
        "Ovarian cancer symptoms can include bloating, feeling full quickly and needing to wee "
        "more often.",
        "Only a doctor can diagnose this.",
        "I can't diagnose what is causing your symptoms, but your GP can help.",
        "Please don't stop any medication without speaking to your GP.",
        "Please don't stop taking your medication without speaking to your GP first.",
        "HRT is a treatment some people discuss with their GP.",
        "If you have cancer, the nurse line can help you understand your options.",
        "If you think you have symptoms of cancer, please see your GP.",
        "If you're worried you might have endometriosis, speak to your GP.",
        "Cervical screening is not a test for cancer; it checks for HPV.",
        "It is not a test for cancer.",
        "Most ovarian cysts are not cancer, but it's important to get symptoms checked.",
        "It is normal to feel anxious while you wait for results.",
        "Your GP may refer you for a scan or a blood test.",
        "Treatment depends on many things, and your care team will talk you through it.",
        "Some people take paracetamol for pain, but a pharmacist can advise you.",
        "Keep taking your medication as prescribed unless your doctor tells you otherwise.",
        "If you stop your medication, speak to your GP first.",
        "Stopping some medicines suddenly can cause problems, so check with your GP.",
        "You should see your GP if you notice bleeding after the menopause.",
        "You may have heard of the HPV vaccine.",
        "Many people with endometriosis find support groups helpful.",
        "The survival rate depends on the stage at diagnosis.",
        "That's a really good question to ask your consultant.",
        "If you feel very unwell or think it is an emergency, call 999.",
        "Womb cancer is most common after the menopause.",
    ],
)
def test_safe_information_passes(safety: SafetyConfig, answer: str) -> None:
    """General, signposting information is not mistaken for a diagnosis or prescription."""
    result = guard_answer(answer, safety)
    assert result.ok, result.reason
    assert result.text == answer


def test_the_reason_never_quotes_the_answer(safety: SafetyConfig) -> None:
    """A rejection names the pattern by index only, never the offending words."""
    result = guard_answer("You have ovarian cancer.", safety)
    assert result.reason == "prohibited_patterns[0]"


@pytest.mark.safety("H06")
def test_an_answer_that_was_only_links_is_rejected(safety: SafetyConfig) -> None:
    """Nothing is left once disallowed links are removed, so the next tier is tried."""
    result = guard_answer("https://evil.com/a https://evil.com/b", safety)
    assert result == GuardResult(ok=False, text="", removed_links=2, reason="empty_answer")
