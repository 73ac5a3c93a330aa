"""The status page in a real browser: headless Chromium (Debian's package) on the dev host.

``make -f observability.mk chromium`` installs Chromium if it is missing; these tests skip,
saying so, only when it could not be installed. The screenshot is kept under
``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from shared.observability.observer import Observability
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import ADMIN_KEY, Gateway

pytestmark = pytest.mark.integration

Start = Callable[..., tuple[Gateway, Observability]]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROWSER_TIMEOUT_S = 60.0


@pytest.fixture
def browser() -> str:
    """Chromium's path; the test skips, saying why, when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip(
            "Chromium is not installed and could not be: `make -f observability.mk chromium` "
            "installs Debian's package (needs root and apt)"
        )
    return found


def browse(
    browser: str, url: str, profile: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *options,
        url,
    ]
    return subprocess.run(  # noqa: S603 - a fixed browser command line
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False
    )


class Elements(HTMLParser):
    """The tags and attributes of a document, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def having(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.found if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def page_url(gateway: Gateway) -> str:
    return f"{gateway.url}/api/status?code={ADMIN_KEY}"


def with_traffic(observed_gateway: Start) -> Gateway:
    gateway, observed = observed_gateway()
    gateway.chat("What are the symptoms of ovarian cancer?")
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    gateway.chat("What is a smear test?")
    assert observed.trail.drain(10.0)
    return gateway


def test_status_page_renders_tier_rows_and_chart(
    browser: str, observed_gateway: Start, tmp_path: Path
) -> None:
    """Chromium's DOM of the page has a row per tier and the SVG latency lines."""
    gateway = with_traffic(observed_gateway)
    result = browse(browser, page_url(gateway), tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = Elements()
    dom.feed(result.stdout)
    tiers = dom.having("tr", **{"class": "tier"})
    assert [t["data-tier"] for t in tiers] == ["1", "2", "3", "4"]
    assert dom.having("svg", id="latency-chart")
    assert dom.having("polyline", **{"class": "p95"}) or dom.having("circle", **{"class": "p95"})


def test_status_page_script_keeps_the_key_on_window_links(
    browser: str, observed_gateway: Start, tmp_path: Path
) -> None:
    """The inline script runs under the page's CSP and keeps ?code= on the window links."""
    gateway = with_traffic(observed_gateway)
    result = browse(browser, page_url(gateway), tmp_path / "profile", "--dump-dom")
    dom = Elements()
    dom.feed(result.stdout)
    links = {a["data-window"]: a["href"] for a in dom.having("a") if "data-window" in a}
    assert links["24h"] == f"/api/status?code={ADMIN_KEY}&window=24h"


def test_status_page_screenshot_is_saved(
    browser: str, observed_gateway: Start, tmp_path: Path
) -> None:
    """A screenshot of the rendered page is kept as a test artifact."""
    gateway = with_traffic(observed_gateway)
    page = requests.get(page_url(gateway), timeout=30.0)
    assert page.status_code == 200, "the screenshot must be of the status page itself"
    assert page.headers["content-type"].startswith("text/html")
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "status-page.png"
    target.unlink(missing_ok=True)
    result = browse(
        browser,
        page_url(gateway),
        tmp_path / "profile",
        f"--screenshot={target}",
        "--window-size=1280,2200",
        "--hide-scrollbars",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000, "a blank page would be tiny"
