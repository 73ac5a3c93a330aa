"""The status page in a real browser: headless Chromium (Debian's package) on the dev host,
signed in as an operator through a stand-in for App Service authentication (no key in any URL).

``make -f observability.mk chromium`` installs Chromium if it is missing; these tests skip,
saying so, only when it could not be installed. The screenshot is kept under
``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from shared.observability.observer import Observability
from simulators.faults import Fault, FaultKind
from tests.integration.conftest import Gateway
from tests.support.signin import OPERATORS_GROUP, SignInProxy

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


@pytest.fixture
def signed_in(observed_gateway: Start) -> Iterator[str]:
    """The status page's URL through the sign-in proxy, after some traffic (one failover)."""
    gateway, observed = observed_gateway(
        extra={"OPERATOR_GROUP_ID": OPERATORS_GROUP, "WEBSITE_AUTH_ENABLED": "True"}
    )
    gateway.chat("What are the symptoms of ovarian cancer?")
    gateway.sims.set_fault("openai", Fault(kind=FaultKind.STATUS, status=503))
    gateway.chat("What is a smear test?")
    assert observed.trail.drain(10.0)
    with SignInProxy(gateway.url) as proxy:
        yield f"{proxy.url}/api/status"


def test_status_page_renders_tier_rows_and_chart(
    browser: str, signed_in: str, tmp_path: Path
) -> None:
    """Chromium's DOM of the page has a row per tier and the SVG latency lines."""
    result = browse(browser, signed_in, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = Elements()
    dom.feed(result.stdout)
    tiers = dom.having("tr", **{"class": "tier"})
    assert [t["data-tier"] for t in tiers] == ["1", "2", "3", "4"]
    assert dom.having("svg", id="latency-chart")
    assert dom.having("polyline", **{"class": "p95"}) or dom.having("circle", **{"class": "p95"})


def test_window_links_carry_only_the_window(browser: str, signed_in: str, tmp_path: Path) -> None:
    """In the browser's DOM, the window links and the refresh name only ``?window=``."""
    result = browse(browser, f"{signed_in}?window=24h", tmp_path / "profile", "--dump-dom")
    dom = Elements()
    dom.feed(result.stdout)
    assert [a["href"] for a in dom.having("a")] == ["?window=1h", "?window=24h", "?window=7d"]
    (refresh,) = dom.having("meta", **{"http-equiv": "refresh"})
    assert refresh["content"].endswith("; url=?window=24h")


def test_status_page_screenshot_is_saved(browser: str, signed_in: str, tmp_path: Path) -> None:
    """A screenshot of the rendered page is kept as a test artifact."""
    page = requests.get(signed_in, timeout=30.0)
    assert page.status_code == 200, "the screenshot must be of the status page itself"
    assert page.headers["content-type"].startswith("text/html")
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "status-page.png"
    target.unlink(missing_ok=True)
    result = browse(
        browser,
        signed_in,
        tmp_path / "profile",
        f"--screenshot={target}",
        "--window-size=1280,2200",
        "--hide-scrollbars",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000, "a blank page would be tiny"
