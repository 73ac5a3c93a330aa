"""No key in any URL the status page emits: its links, its refresh, its JSON twin."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest

from shared.observability.observer import Observability
from tests.integration.conftest import ADMIN_KEY, FUNCTION_KEY, Gateway

pytestmark = pytest.mark.integration

Start = Callable[..., tuple[Gateway, Observability]]
_REFRESH_URL = re.compile(r"url=(.*)$", re.IGNORECASE)


class Urls(HTMLParser):
    """Every URL a document names: link and resource attributes and the meta refresh."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name in ("href", "src", "action", "formaction", "data", "poster"):
            if name in values:
                self.urls.append(values[name])
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            found = _REFRESH_URL.search(values.get("content", ""))
            self.urls.append(found.group(1) if found else "")


def emitted_urls(html: str) -> list[str]:
    parser = Urls()
    parser.feed(html)
    return parser.urls


def test_no_key_in_any_url_of_the_status_page(observed_gateway: Start) -> None:
    """Opened with the admin key in a header, the page's URLs carry only ``?window=``."""
    gateway, _ = observed_gateway()
    gateway.chat("What are the symptoms of ovarian cancer?")
    for window in ("1h", "24h", "7d"):
        page = gateway.get(f"/api/status?window={window}", key=ADMIN_KEY)
        assert page.status_code == 200
        urls = emitted_urls(page.text)
        assert urls, "the page names its window links and its refresh"
        assert all(re.fullmatch(r"\?window=(1h|24h|7d)", u) for u in urls), urls
        assert ADMIN_KEY not in page.text
        assert FUNCTION_KEY not in page.text
        assert "code=" not in page.text


def test_status_json_carries_no_key(observed_gateway: Start) -> None:
    """The JSON twin of the page holds no key either."""
    gateway, _ = observed_gateway()
    body = gateway.get("/api/status.json", key=ADMIN_KEY)
    assert body.status_code == 200
    assert ADMIN_KEY not in body.text
    assert "code=" not in body.text


def test_a_key_in_the_url_is_refused_not_echoed(observed_gateway: Start) -> None:
    """``/api/status?code=<admin key>`` is a 400 that does not repeat the key."""
    gateway, _ = observed_gateway()
    page = gateway.get(f"/api/status?code={ADMIN_KEY}", key=None)
    assert page.status_code == 400
    assert page.json()["error"]["code"] == "key_in_url"
    assert ADMIN_KEY not in page.text
