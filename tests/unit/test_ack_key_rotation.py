"""Acknowledgement links carry a key id, so rotating ``ACK_LINK_KEY`` strands no link."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from shared.escalation import AckSigner, AckTokenError, ack_links_from
from shared.escalation.acklinks import key_id
from shared.platform import Settings

ESCALATION = "esc-" + "ab" * 16
CREATED = "2026-12-08T01:00:00+00:00"
NOW = 1_796_691_600.0  # 2026-12-08T01:00:00Z, inside the day the link lives
OLD, NEW, NEWER = b"key-before-rotation", b"key-after-rotation", b"key-after-the-next"


def signer(key: bytes, previous: bytes | None = None) -> AckSigner:
    return AckSigner(key, "uksouth", 86_400.0, previous)


def legacy_token(key: bytes) -> str:
    """A token as links were signed before key ids: four parts."""
    body = f"{ESCALATION}.uksouth.{int(NOW) + 86_400}"
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


@pytest.mark.safety("H03")
def test_a_token_names_the_key_that_signed_it() -> None:
    """The fourth part of a new token is the signing key's id, not the key."""
    parts = signer(NEW).token(ESCALATION, CREATED).split(".")
    assert len(parts) == 5
    assert parts[3] == key_id(NEW)
    assert NEW.decode() not in parts[3]


@pytest.mark.safety("H03")
def test_a_link_sent_before_the_rotation_still_verifies_after_it() -> None:
    """With the old key as ACK_LINK_KEY_PREVIOUS, a link it signed is accepted."""
    token = signer(OLD).token(ESCALATION, CREATED)
    assert signer(NEW, previous=OLD).verify(token, NOW).escalation_id == ESCALATION


@pytest.mark.safety("H03")
def test_a_link_two_rotations_old_is_refused() -> None:
    """Once its key is neither current nor previous, a link is invalid."""
    token = signer(OLD).token(ESCALATION, CREATED)
    with pytest.raises(AckTokenError) as refused:
        signer(NEWER, previous=NEW).verify(token, NOW)
    assert refused.value.reason == "invalid"


@pytest.mark.safety("H03")
def test_a_key_id_cannot_lend_its_key_to_another_signature() -> None:
    """A token that names the current key but is signed with an unknown one is invalid."""
    escalation, region, expires, _kid, signature = (
        signer(NEWER).token(ESCALATION, CREATED).split(".")
    )
    forged = f"{escalation}.{region}.{expires}.{key_id(NEW)}.{signature}"
    with pytest.raises(AckTokenError):
        signer(NEW, previous=OLD).verify(forged, NOW)


@pytest.mark.safety("H03")
@pytest.mark.parametrize("key", [NEW, OLD])
def test_a_link_of_the_old_format_is_accepted_until_it_expires(key: bytes) -> None:
    """A four-part token signed with the current or the previous key is accepted."""
    assert signer(NEW, previous=OLD).verify(legacy_token(key), NOW).escalation_id == ESCALATION


def test_a_link_of_the_old_format_expires_as_it_always_did() -> None:
    """A four-part token past its signed expiry is ``expired``."""
    with pytest.raises(AckTokenError) as refused:
        signer(NEW).verify(legacy_token(NEW), NOW + 86_400)
    assert refused.value.reason == "expired"


def test_a_link_of_the_old_format_under_an_unknown_key_is_refused() -> None:
    """A four-part token signed with neither key is invalid."""
    with pytest.raises(AckTokenError):
        signer(NEW, previous=OLD).verify(legacy_token(NEWER), NOW)


def test_the_settings_name_the_previous_key() -> None:
    """ACK_LINK_KEY_PREVIOUS is read beside ACK_LINK_KEY."""
    links = ack_links_from(
        Settings.from_env(
            {
                "ACK_LINK_KEY": NEW.decode(),
                "ACK_LINK_KEY_PREVIOUS": OLD.decode(),
                "ACK_BASE_URL": "https://gateway.invalid",
            }
        )
    )
    assert links is not None
    assert links.signer.verify(signer(OLD).token(ESCALATION, CREATED), NOW).region == "uksouth"
