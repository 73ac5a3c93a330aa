"""The output guard keeps the four nations' NHS and crisis services' links and still removes
look-alikes and unknown domains, judging bare domain names by the Public Suffix List with no
network at run time."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from shared.platform.config import SafetyConfig, load_config
from shared.safety import output_guard
from shared.safety.output_guard import remove_links
from shared.signposting import load_signposting


@pytest.fixture(scope="module")
def safety() -> SafetyConfig:
    return load_config().safety


@pytest.mark.safety("H06")
@pytest.mark.parametrize(
    "text",
    [
        "In Northern Ireland see nidirect.gov.uk or hscni.net.",
        "In Scotland see nhsinform.scot, in Wales 111.wales.nhs.uk or nhs.wales.",
        "Read more at https://www.nhsinform.scot/illnesses-and-conditions/cancer/.",
        "Children can talk to childline.org.uk any time.",
        "See [NHS inform](https://www.nhsinform.scot) or <https://www.nidirect.gov.uk/>.",
    ],
)
def test_the_four_nations_nhs_links_are_kept_intact(safety: SafetyConfig, text: str) -> None:
    """Devolved NHS and crisis-service links pass unchanged."""
    assert remove_links(text, safety.link_allowlist) == (text, 0)


@pytest.mark.safety("H06")
@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Buy it at cheap-tamoxifen.pharmacy today.", "Buy it at today."),
        ("See nhs.uk.evil.com for more.", "See for more."),
        ("See nhs-uk.co for more.", "See for more."),
        ("Visit nhsinform.scot.example.xyz now.", "Visit now."),
        ("Try https://nidirect.gov.uk.attacker.io/help today.", "Try today."),
    ],
)
def test_look_alikes_and_unknown_domains_are_removed(
    safety: SafetyConfig, text: str, kept: str
) -> None:
    """A bare domain with any public suffix counts as a link, so unlisted ones are removed."""
    assert remove_links(text, safety.link_allowlist) == (kept, 1)


@pytest.mark.safety("H06")
@pytest.mark.parametrize("text", ["Open report.pdf, e.g. page 2.", "Take it at 10.30am."])
def test_words_with_dots_that_are_not_domains_are_left_alone(
    safety: SafetyConfig, text: str
) -> None:
    """An ending that is not a public suffix (pdf) is not a link."""
    assert remove_links(text, safety.link_allowlist) == (text, 0)


@pytest.mark.safety("H06")
def test_every_site_the_services_table_names_is_allowlisted(safety: SafetyConfig) -> None:
    """The guard never removes a service the crisis replies themselves give."""
    for service in load_signposting().services.services.values():
        if service.url:
            assert remove_links(service.url, safety.link_allowlist) == (service.url, 0)


@pytest.mark.safety("H06")
def test_the_public_suffix_list_needs_no_network(
    safety: SafetyConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every socket connection refused, the list loads from the bundled snapshot and the
    guard still removes an unknown domain."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    output_guard._suffixes.cache_clear()
    try:
        result = remove_links("Go to cheap-tamoxifen.pharmacy now.", safety.link_allowlist)
    finally:
        output_guard._suffixes.cache_clear()
    assert result == ("Go to now.", 1)
