"""Who may use the operator routes (breakers, the admin acknowledgement, the status page).

The operator routes are anonymous to the Functions host and checked here, because a browser
cannot send the master key in a header and a key in a URL ends up in Front Door's access log,
in browser history and in every refresh. Two ways in:

- **In Azure** (``OPERATOR_GROUP_ID`` set): App Service authentication signs the operator in
  with Microsoft Entra ID and only admits members of that group (Bicep configures both). It
  passes the signed-in user to the app in ``X-MS-CLIENT-PRINCIPAL`` (base64 JSON with a
  ``claims`` list) and strips that header from what clients send, so the app can trust it
  only while App Service authentication is on; App Service says so in ``WEBSITE_AUTH_ENABLED``.
  With it off, a client could write the header itself, so every operator request is refused.
  The app checks the group claim again rather than trusting sign-in alone.
- **Locally** (no group set): the dev host's admin key (``DEVHOST_ADMIN_KEY``) in the
  ``x-functions-key`` header. A key in the ``code`` query parameter is refused outright, so it
  never becomes a habit that leaks.

With neither set, every operator request is refused: the routes fail closed.

A route that changes state also refuses cross-site requests (``origins``, see
:mod:`shared.platform.origins`): the session cookie would otherwise open it to any page an
operator visits.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.platform.errors import ApiError
from shared.platform.flags import flag
from shared.platform.origins import SameOrigin
from shared.platform.settings import Settings

PRINCIPAL_HEADER = "x-ms-client-principal"
KEY_HEADER = "x-functions-key"
_GROUP_CLAIMS = {"groups", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"}


@dataclass(frozen=True, slots=True, repr=False)
class OperatorAccess:
    """The operator gate. ``repr`` is suppressed: it may hold the local admin key."""

    group_id: str = ""
    local_key: str = ""
    # App Service authentication is on (it sets the principal header and strips clients' own).
    platform_auth: bool = False
    # Where the app is published: state-changing routes refuse other origins (CSRF).
    origins: SameOrigin = field(default_factory=SameOrigin)

    def __repr__(self) -> str:
        return f"OperatorAccess(group_id={self.group_id!r}, <key redacted>)"

    @classmethod
    def from_settings(cls, settings: Settings) -> OperatorAccess:
        return cls(
            group_id=settings.get("OPERATOR_GROUP_ID").lower(),
            local_key=settings.get("DEVHOST_ADMIN_KEY"),
            platform_auth=flag(settings.get("WEBSITE_AUTH_ENABLED")),
            origins=SameOrigin.from_settings(settings),
        )

    def check(self, headers: Mapping[str, str], query: Mapping[str, str]) -> ApiError | None:
        """None when the request may use an operator route, else the error to answer with."""
        if "code" in query:
            return ApiError(
                400,
                "keys are not accepted in URLs; send the key in the x-functions-key header",
                "code",
                "key_in_url",
            )
        if self.group_id:
            if not self.platform_auth:
                return ApiError(
                    403,
                    "operator routes are closed: App Service authentication is off",
                    None,
                    "forbidden",
                    type="permission_error",
                )
            if self.group_id in _groups(headers.get(PRINCIPAL_HEADER) or ""):
                return None
            return ApiError(
                403,
                "sign in as a member of the operators group",
                None,
                "forbidden",
                type="permission_error",
            )
        presented = (headers.get(KEY_HEADER) or "").encode()
        if self.local_key and hmac.compare_digest(presented, self.local_key.encode()):
            return None
        return ApiError(
            401,
            "operator routes need the admin key in the x-functions-key header",
            None,
            "unauthorized",
            type="authentication_error",
        )


def _groups(encoded: str) -> set[str]:
    """The group ids in an ``X-MS-CLIENT-PRINCIPAL`` value (empty if it is absent or garbled)."""
    try:
        principal = json.loads(base64.b64decode(encoded, validate=False))
    except (binascii.Error, ValueError):
        return set()
    claims = principal.get("claims") if isinstance(principal, dict) else None
    if not isinstance(claims, list):
        return set()
    return {
        str(claim.get("val", "")).strip().lower()
        for claim in claims
        if isinstance(claim, dict) and claim.get("typ") in _GROUP_CLAIMS
    }
