"""Function keys: the rules (pure) and their enforcement on the wire (integration)."""

from __future__ import annotations

import pytest

from devhost.auth import AuthLevel, HostKeys, presented_key
from devhost.background import RunningDevHost
from tests.devhost.conftest import ADMIN_KEY, FUNCTION_KEY, SYSTEM_KEY
from tests.devhost.http_client import call

KEYS = HostKeys(function_key="fn-key", admin_key="admin-key", system_key="system-key")


def test_anonymous_needs_no_key() -> None:
    """ANONYMOUS is open."""
    assert KEYS.allows(AuthLevel.ANONYMOUS, None)


@pytest.mark.parametrize("key", ["fn-key", "admin-key"])
def test_function_level_takes_the_function_key_or_the_admin_key(key: str) -> None:
    """FUNCTION accepts either key."""
    assert KEYS.allows(AuthLevel.FUNCTION, key)


@pytest.mark.parametrize("key", [None, "", "wrong", "system-key"])
def test_function_level_refuses_a_missing_or_wrong_key(key: str | None) -> None:
    """FUNCTION refuses no key, a wrong key and the system key."""
    assert not KEYS.allows(AuthLevel.FUNCTION, key)


def test_admin_level_refuses_the_function_key() -> None:
    """ADMIN takes only the admin key."""
    assert not KEYS.allows(AuthLevel.ADMIN, "fn-key")
    assert KEYS.allows(AuthLevel.ADMIN, "admin-key")


def test_the_durable_api_takes_the_system_or_admin_key_only() -> None:
    """The webhook API is for the system key (or the admin key), not the function key."""
    assert KEYS.allows_system("system-key")
    assert KEYS.allows_system("admin-key")
    assert not KEYS.allows_system("fn-key")


def test_keys_come_from_settings() -> None:
    """DEVHOST_*_KEY settings set the keys."""
    keys = HostKeys.from_settings(
        {"DEVHOST_FUNCTION_KEY": "f", "DEVHOST_ADMIN_KEY": "a", "DEVHOST_SYSTEM_KEY": "s"}
    )
    assert (keys.function_key, keys.admin_key, keys.system_key) == ("f", "a", "s")


def test_unset_keys_are_generated_and_distinct() -> None:
    """Without settings each key is a fresh random value."""
    keys = HostKeys.from_settings({})
    assert len({keys.function_key, keys.admin_key, keys.system_key}) == 3
    assert len(keys.function_key) >= 32


def test_keys_never_appear_in_repr() -> None:
    """repr() is redacted so a key cannot reach a log by accident."""
    assert "fn-key" not in repr(KEYS)


def test_the_header_wins_over_the_query_parameter() -> None:
    """x-functions-key is read before ?code=."""
    assert presented_key({"x-functions-key": "h"}, {"code": "q"}) == "h"
    assert presented_key({}, {"code": "q"}) == "q"


@pytest.mark.integration
class TestOnTheWire:
    """Keys as the toy app's routes enforce them."""

    def test_no_key_is_401_with_a_json_error(self, toy_host: RunningDevHost) -> None:
        """A FUNCTION route without a key is refused with the standard error body."""
        reply = call("GET", f"{toy_host.base_url}/api/secret")
        assert reply.status == 401
        assert reply.json() == {
            "error": {
                "type": "invalid_request_error",
                "message": "A valid function key is required.",
                "param": None,
                "code": "unauthorized",
            }
        }

    def test_a_wrong_key_is_401(self, toy_host: RunningDevHost) -> None:
        """A wrong key is refused."""
        reply = call("GET", f"{toy_host.base_url}/api/secret", headers={"x-functions-key": "wrong"})
        assert reply.status == 401

    def test_the_function_key_header_is_accepted(self, toy_host: RunningDevHost) -> None:
        """x-functions-key with the function key opens a FUNCTION route."""
        reply = call(
            "GET", f"{toy_host.base_url}/api/secret", headers={"x-functions-key": FUNCTION_KEY}
        )
        assert reply.status == 200

    def test_the_admin_key_opens_a_function_route(self, toy_host: RunningDevHost) -> None:
        """The admin key is accepted where the function key is."""
        reply = call(
            "GET", f"{toy_host.base_url}/api/secret", headers={"x-functions-key": ADMIN_KEY}
        )
        assert reply.status == 200

    def test_the_code_query_parameter_is_accepted(self, toy_host: RunningDevHost) -> None:
        """?code= works like the header."""
        reply = call("GET", f"{toy_host.base_url}/api/secret?code={FUNCTION_KEY}")
        assert reply.status == 200

    def test_an_anonymous_route_needs_no_key(self, toy_host: RunningDevHost) -> None:
        """ANONYMOUS routes are open."""
        reply = call("GET", f"{toy_host.base_url}/api/public/hello")
        assert (reply.status, reply.body) == (200, b"hello")

    def test_an_admin_route_refuses_the_function_key(self, toy_host: RunningDevHost) -> None:
        """ADMIN routes need the admin key."""
        url = f"{toy_host.base_url}/api/admin-only"
        assert call("GET", url, headers={"x-functions-key": FUNCTION_KEY}).status == 401
        assert call("GET", url, headers={"x-functions-key": ADMIN_KEY}).status == 200

    def test_the_durable_webhooks_need_the_system_key(self, toy_host: RunningDevHost) -> None:
        """The public Durable API refuses the function key and accepts the system key."""
        url = f"{toy_host.base_url}/runtime/webhooks/durabletask/instances/nope"
        assert call("GET", f"{url}?code={FUNCTION_KEY}").status == 401
        assert call("GET", f"{url}?code={SYSTEM_KEY}").status == 404
