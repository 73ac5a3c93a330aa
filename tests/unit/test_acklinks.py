"""Acknowledgement tokens: signed over id, region and expiry; anything altered is refused."""

from __future__ import annotations

import pytest

from shared.escalation.acklinks import AckSigner, AckTokenError, ack_links_from, parse_region_urls
from shared.platform import Settings

ESCALATION = "esc-" + "ab" * 16
RAISED = "2026-12-06T22:00:00+00:00"
RAISED_AT = 1796594400.0
SIGNER = AckSigner(b"test-key", "uksouth", ttl_s=3600.0)


def test_a_token_names_the_escalation_its_region_and_expiry() -> None:
    """A fresh token verifies to what it was made for, expiring ttl after the escalation."""
    claim = SIGNER.verify(SIGNER.token(ESCALATION, RAISED), now=RAISED_AT)
    assert (claim.escalation_id, claim.region, claim.expires_at) == (
        ESCALATION,
        "uksouth",
        int(RAISED_AT + 3600),
    )


@pytest.mark.safety("H03")
@pytest.mark.parametrize("part", [0, 1, 2, 3, 4])
def test_changing_any_part_invalidates_the_token(part: int) -> None:
    """Id, region, expiry, key id or signature altered: invalid."""
    pieces = SIGNER.token(ESCALATION, RAISED).split(".")
    pieces[part] = pieces[part][:-1] + ("0" if pieces[part][-1] != "0" else "1")
    with pytest.raises(AckTokenError) as raised:
        SIGNER.verify(".".join(pieces), now=RAISED_AT)
    assert raised.value.reason == "invalid"


def test_another_key_does_not_verify() -> None:
    """A token signed with another key is invalid."""
    other = AckSigner(b"another-key", "uksouth", ttl_s=3600.0)
    with pytest.raises(AckTokenError):
        SIGNER.verify(other.token(ESCALATION, RAISED), now=RAISED_AT)


@pytest.mark.safety("H03")
def test_an_expired_token_says_so() -> None:
    """At its expiry the token is refused as expired, not invalid."""
    token = SIGNER.token(ESCALATION, RAISED)
    with pytest.raises(AckTokenError) as raised:
        SIGNER.verify(token, now=RAISED_AT + 3600)
    assert raised.value.reason == "expired"


@pytest.mark.parametrize("garbage", ["", "a.b.c", "x" * 500, "esc-1.uksouth.1.sig.extra"])
def test_garbage_is_invalid(garbage: str) -> None:
    """Anything that is not four signed parts is invalid."""
    with pytest.raises(AckTokenError):
        SIGNER.verify(garbage, now=RAISED_AT)


def test_the_signer_never_shows_its_key() -> None:
    """repr names the region, not the key."""
    assert "test-key" not in repr(SIGNER)


def test_region_urls_are_parsed() -> None:
    """``region=url`` pairs, trailing slashes dropped; a malformed entry is an error."""
    assert parse_region_urls("uksouth=https://a/, ukwest=http://b") == {
        "uksouth": "https://a",
        "ukwest": "http://b",
    }
    assert parse_region_urls("") == {}
    with pytest.raises(ValueError, match="ACK_REGION_URLS"):
        parse_region_urls("uksouth")


def test_links_need_both_the_key_and_the_base_url() -> None:
    """Without either setting, alerts carry no link."""
    assert ack_links_from(Settings(env={"ACK_LINK_KEY": "k"})) is None
    assert ack_links_from(Settings(env={"ACK_BASE_URL": "https://x"})) is None
    links = ack_links_from(Settings(env={"ACK_LINK_KEY": "k", "ACK_BASE_URL": "https://x/"}))
    assert links is not None
    assert links.link(ESCALATION, RAISED).startswith(f"https://x/api/ack#token={ESCALATION}.local.")
