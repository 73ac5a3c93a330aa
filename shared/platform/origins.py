"""Refuse cross-site requests to routes that change state (CSRF).

In Azure the operator routes are opened by App Service authentication's session cookie, which
a browser sends with any request to the app, including a form or ``fetch`` posted from
another site that a signed-in operator happens to visit. The acknowledgement ``POST`` has the
same shape: the token rides in a form. So every state-changing route calls
:meth:`SameOrigin.check` first. A request is refused when:

- ``Sec-Fetch-Site`` is present and is not ``same-origin`` (browsers send it on every request
  and a page cannot change it), or
- ``Origin`` is present and names a host that is not the app's own.

The app's own hosts are the request's ``Host`` (the address the browser reached, which a
cross-site page cannot choose), plus every address the app is published under, read from the
settings it already has: ``ACK_BASE_URL`` (the Front Door endpoint in Azure), the hosts in
``ACK_REGION_URLS`` (both regions) and ``WEBSITE_HOSTNAME`` (set by App Service; an address
like ``https://app.azurewebsites.net``); ``ALLOWED_ORIGINS`` adds any others (a custom
domain), comma-separated.

What it does not do: a request with neither header passes, because that is what a
non-browser client sends (a script with a bearer token or the admin key, another region
forwarding an acknowledgement). Browsers old enough to send neither on a cross-site ``POST``
are not protected by this check; they still need the operator's session, and the session
cookie's ``SameSite`` attribute (App Service sets ``SameSite=None`` for its own cookie, so do
not count on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.platform.errors import ApiError
from shared.platform.settings import Settings

SEC_FETCH_SITE = "sec-fetch-site"
ORIGIN = "origin"
HOST = "host"


def host_of(url: str) -> str:
    """The ``host[:port]`` of an address, lower case; empty when it has none."""
    try:
        return (urlsplit(url if "//" in url else f"//{url}").netloc or "").lower()
    except ValueError:
        return ""


@dataclass(frozen=True, slots=True)
class SameOrigin:
    """The hosts the app is published under (besides the one each request names)."""

    hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, addresses: Iterable[str]) -> SameOrigin:
        return cls(frozenset(h for h in (host_of(a.strip()) for a in addresses) if h))

    @classmethod
    def from_settings(cls, settings: Settings) -> SameOrigin:
        regions = [item.partition("=")[2] for item in settings.get("ACK_REGION_URLS").split(",")]
        return cls.of(
            [
                settings.get("ACK_BASE_URL"),
                settings.get("WEBSITE_HOSTNAME"),
                *regions,
                *settings.get("ALLOWED_ORIGINS").split(","),
            ]
        )

    def check(self, headers: Mapping[str, str]) -> ApiError | None:
        """None when the request may change state, else the 403 to answer with."""
        site = (headers.get(SEC_FETCH_SITE) or "").strip().lower()
        if site and site != "same-origin":
            return _cross_site(f"Sec-Fetch-Site is {site!r}")
        origin = (headers.get(ORIGIN) or "").strip()
        if not origin:
            return None
        own = {*self.hosts, (headers.get(HOST) or "").strip().lower()} - {""}
        if origin == "null" or host_of(origin) not in own:
            return _cross_site("Origin is not this service")
        return None


def _cross_site(why: str) -> ApiError:
    return ApiError(
        403,
        f"cross-site request refused ({why}); use this service's own pages or a client "
        "without a browser",
        None,
        "cross_site",
        type="permission_error",
    )
