"""The operator gate: Entra ID group membership in Azure, the admin key in a header locally."""

from __future__ import annotations

import base64

from shared.platform import OperatorAccess, Settings
from tests.support.signin import OPERATORS_GROUP, principal

ENTRA = OperatorAccess(group_id=OPERATORS_GROUP, platform_auth=True)
LOCAL = OperatorAccess(local_key="local-admin-key")


def status(
    gate: OperatorAccess, headers: dict[str, str], query: dict[str, str] | None = None
) -> int:
    error = gate.check(headers, query or {})
    return 200 if error is None else error.status


def test_a_member_of_the_operators_group_is_let_in() -> None:
    """A signed-in principal with the group claim passes."""
    assert status(ENTRA, {"x-ms-client-principal": principal("other", OPERATORS_GROUP)}) == 200


def test_a_signed_in_user_outside_the_group_is_forbidden() -> None:
    """Signed in, but not in the group: 403."""
    assert status(ENTRA, {"x-ms-client-principal": principal("another-group")}) == 403


def test_no_principal_or_a_garbled_one_is_forbidden() -> None:
    """Without App Service's header, or with one that does not decode, nobody gets in."""
    assert status(ENTRA, {}) == 403
    assert status(ENTRA, {"x-ms-client-principal": "not base64 json"}) == 403
    garbage = base64.b64encode(b'{"claims": "no"}').decode()
    assert status(ENTRA, {"x-ms-client-principal": garbage}) == 403


def test_with_app_service_authentication_off_nobody_gets_in() -> None:
    """Without App Service authentication a client could write the principal header itself,
    so even a principal in the group is refused."""
    off = OperatorAccess(group_id=OPERATORS_GROUP, platform_auth=False)
    assert status(off, {"x-ms-client-principal": principal(OPERATORS_GROUP)}) == 403


def test_the_gate_reads_its_settings() -> None:
    """The group, App Service's own flag and the local key come from the app settings."""
    gate = OperatorAccess.from_settings(
        Settings(
            env={
                "OPERATOR_GROUP_ID": OPERATORS_GROUP.upper(),
                "WEBSITE_AUTH_ENABLED": "True",
                "DEVHOST_ADMIN_KEY": "local-admin-key-value",
            }
        )
    )
    assert (gate.group_id, gate.platform_auth) == (OPERATORS_GROUP, True)
    assert gate.local_key == "local-admin-key-value"
    assert "local-admin-key-value" not in repr(gate)


def test_the_master_key_does_not_replace_sign_in_in_azure() -> None:
    """With a group configured, a key in the header opens nothing."""
    assert status(ENTRA, {"x-functions-key": "local-admin-key"}) == 403


def test_locally_the_admin_key_in_the_header_lets_in() -> None:
    """Without a group, the dev host's admin key in x-functions-key passes; others are 401."""
    assert status(LOCAL, {"x-functions-key": "local-admin-key"}) == 200
    assert status(LOCAL, {"x-functions-key": "wrong"}) == 401
    assert status(LOCAL, {}) == 401


def test_a_key_in_the_query_string_is_refused_even_when_right() -> None:
    """``?code=`` is a 400, so a key never travels in a URL."""
    assert status(LOCAL, {}, {"code": "local-admin-key"}) == 400


def test_with_nothing_configured_the_gate_is_closed() -> None:
    """No group and no key: every operator request is refused."""
    assert status(OperatorAccess(), {"x-functions-key": ""}) == 401
    assert status(OperatorAccess(), {"x-ms-client-principal": principal(OPERATORS_GROUP)}) == 401
