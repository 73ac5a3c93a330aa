"""The acknowledgement token stays out of logs (it travels in the URL fragment) and lives for
the acknowledgement window plus a margin, not a day (H03: a token read from a log could
acknowledge and stop the supervisor reminder)."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import pytest

from api.acknowledge import fragment_page
from shared.escalation import link_lifetime_s
from shared.platform import Settings
from tests.observability.helpers import unit_runtime

LINKS = {"ACK_LINK_KEY": "unit-test-key", "ACK_BASE_URL": "https://gateway.invalid"}
ESCALATION = "esc-" + "ab" * 16


@pytest.mark.safety("H03")
def test_the_link_carries_the_token_only_in_its_fragment() -> None:
    """Nothing of the token is in the path or query a server (or its log) receives."""
    links = unit_runtime(env=LINKS).escalator.links
    assert links is not None
    parts = urlsplit(links.link(ESCALATION, "2026-12-08T01:00:00+00:00"))
    assert (parts.path, parts.query) == ("/api/ack", "")
    assert parts.fragment.startswith(f"token={ESCALATION}.")


@pytest.mark.safety("H03")
def test_the_page_allows_only_its_own_script_by_hash() -> None:
    """The Content-Security-Policy admits the inline script by its hash and nothing else."""
    page, headers = fragment_page()
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    csp = headers["Content-Security-Policy"]
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert "unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


@pytest.mark.safety("H03")
def test_the_page_posts_what_the_script_moved_and_clears_the_address_bar() -> None:
    """The form posts the ``token`` field to open the case; the script reads it from the
    fragment and removes the fragment from the address bar and history."""
    page, _ = fragment_page()
    assert '<form method="post" action="/api/ack/case">' in page
    assert 'id="token" name="token" value=""' in page
    assert "location.hash" in page
    assert "history.replaceState" in page


@pytest.mark.safety("H03")
def test_a_link_lives_for_the_ack_window_plus_the_margin() -> None:
    """By default a link expires 5 + 30 minutes after its escalation, not after a day."""
    escalator = unit_runtime(env=LINKS).escalator
    assert escalator.links is not None
    expected = escalator.config.ack_timeout_s + escalator.config.ack_link_margin_s
    assert escalator.links.signer.ttl_s == expected == 2100.0


@pytest.mark.safety("H03")
def test_the_lifetime_setting_overrides_the_default() -> None:
    """``ACK_LINK_TTL_S`` wins when set."""
    settings = Settings(env={"ACK_LINK_TTL_S": "600"})
    assert link_lifetime_s(settings, 300.0, 1800.0) == 600.0
    assert link_lifetime_s(Settings(env={}), 300.0, 1800.0) == 2100.0
