"""The status page and the app's responses: stored values are escaped even where they become a
CSS class, HSTS is sent, and folded escalations are counted (H03)."""

from __future__ import annotations

import dataclasses

import pytest

from api.acknowledge import _HEADERS as ACK_HEADERS
from api.http import to_response
from api.status import _PAGE_HEADERS, render_page
from shared.platform import HttpReply
from tests.observability.test_status import report

HOSTILE = '"><script>alert(1)</script>'


def hostile_breaker_page() -> str:
    base = report([])
    tier = dataclasses.replace(base.tiers[0], breaker=HOSTILE)
    return render_page(dataclasses.replace(base, tiers=(tier, *base.tiers[1:])))


def test_a_breaker_state_used_as_a_css_class_is_escaped() -> None:
    """A breaker state read from its table cannot close the attribute and add markup."""
    page = hostile_breaker_page()
    assert "<script>" not in page
    assert 'class="&quot;&gt;&lt;script&gt;' in page


def test_every_response_sends_hsts() -> None:
    """JSON replies, the status page and the acknowledgement page all carry HSTS."""
    hsts = "max-age=31536000; includeSubDomains"
    assert to_response(HttpReply(200, {})).headers["Strict-Transport-Security"] == hsts
    assert _PAGE_HEADERS["Strict-Transport-Security"] == hsts
    assert ACK_HEADERS["Strict-Transport-Security"] == hsts


@pytest.mark.safety("H03")
def test_the_page_counts_folded_escalations() -> None:
    """The escalations section says how many crisis escalations were folded, or that the
    count is unknown."""
    assert "7 crisis escalations folded into digest cards" in render_page(report([]), folded=7)
    assert "Folded escalations: unknown" in render_page(report([]), folded=None)
