"""Per-instance rate limiting: token buckets with progressive delays."""

from __future__ import annotations

from shared.failover.ratelimit import (
    BotBackend,
    BucketConfig,
    RateLimitConfig,
    RateLimiter,
    client_ip,
)
from tests.support.clocks import ManualClock

Clock = ManualClock


def limiter(clock: Clock, **overrides: object) -> RateLimiter:
    config = RateLimitConfig(
        per_conversation=BucketConfig(rate_per_s=1.0, burst=3),
        per_ip=BucketConfig(rate_per_s=10.0, burst=100),
        **overrides,  # type: ignore[arg-type]
    )
    return RateLimiter(config, clock)


def test_burst_is_allowed_then_refused() -> None:
    """A conversation may send its burst at once; the next request is refused."""
    clock = Clock()
    rl = limiter(clock)
    assert [rl.check(conversation="c", client_ip=None).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


def test_tokens_refill_at_the_configured_rate() -> None:
    """After a second, one more request is allowed."""
    clock = Clock()
    rl = limiter(clock)
    for _ in range(3):
        rl.check(conversation="c", client_ip=None)
    clock.now = 1.0
    assert rl.check(conversation="c", client_ip=None).allowed
    assert not rl.check(conversation="c", client_ip=None).allowed


def test_retry_after_grows_while_the_client_keeps_exceeding() -> None:
    """Refusals in a row get Retry-After 1, 2, 4, 8 ... capped at the maximum."""
    clock = Clock()
    rl = limiter(clock, max_delay_s=8.0)
    for _ in range(3):
        rl.check(conversation="c", client_ip=None)
    delays = [rl.check(conversation="c", client_ip=None).retry_after_s for _ in range(6)]
    assert delays == [1, 2, 4, 8, 8, 8]


def test_good_behaviour_resets_the_delay() -> None:
    """After a quiet spell the delay starts again from 1 s."""
    clock = Clock()
    rl = limiter(clock, forgive_after_s=60.0)
    for _ in range(3):
        rl.check(conversation="c", client_ip=None)
    rl.check(conversation="c", client_ip=None)
    rl.check(conversation="c", client_ip=None)
    clock.now = 100.0
    for _ in range(3):
        assert rl.check(conversation="c", client_ip=None).allowed
    assert rl.check(conversation="c", client_ip=None).retry_after_s == 1


def test_keys_are_independent_and_the_ip_limit_applies_too() -> None:
    """Two conversations have separate buckets; one busy IP is limited across conversations."""
    clock = Clock()
    rl = RateLimiter(
        RateLimitConfig(
            per_conversation=BucketConfig(rate_per_s=1.0, burst=2),
            per_ip=BucketConfig(rate_per_s=1.0, burst=3),
        ),
        clock,
    )
    assert rl.check(conversation="a", client_ip="1.2.3.4").allowed
    assert rl.check(conversation="a", client_ip="1.2.3.4").allowed
    assert rl.check(conversation="b", client_ip="1.2.3.4").allowed
    verdict = rl.check(conversation="c", client_ip="1.2.3.4")
    assert not verdict.allowed
    assert verdict.limited_by == "ip"


def test_a_refused_request_takes_no_token_from_other_buckets() -> None:
    """When the IP bucket refuses, the conversation's tokens are not spent."""
    clock = Clock()
    rl = RateLimiter(
        RateLimitConfig(
            per_conversation=BucketConfig(rate_per_s=0.001, burst=2),
            per_ip=BucketConfig(rate_per_s=0.001, burst=1),
        ),
        clock,
    )
    assert rl.check(conversation="a", client_ip="ip").allowed
    assert not rl.check(conversation="a", client_ip="ip").allowed
    assert rl.check(conversation="a", client_ip=None).allowed


def test_key_count_is_bounded() -> None:
    """The limiter forgets the least recently seen keys beyond its maximum."""
    clock = Clock()
    rl = limiter(clock, max_keys=100)
    for i in range(500):
        rl.check(conversation=f"c{i}", client_ip=None)
    assert len(rl._entries) == 100


FDID = "6f1c0b1e-8a3c-4f9e-9d7a-2b5e1c3d4a5f"


def test_client_ip_is_front_door_socket_address_when_the_profile_matches() -> None:
    """Through this Front Door profile, the address is X-Azure-SocketIP, without port."""
    headers = {"x-azure-fdid": FDID, "x-azure-socketip": "203.0.113.7:51234"}
    assert client_ip(headers, FDID) == "203.0.113.7"
    assert client_ip({**headers, "x-azure-socketip": "[2001:db8::1]:443"}, FDID) == "2001:db8::1"


def test_client_ip_header_is_never_read() -> None:
    """X-Azure-ClientIP can be chosen by the client, so it gives no address and never
    replaces the socket address."""
    assert client_ip({"x-azure-fdid": FDID, "x-azure-clientip": "203.0.113.7"}, FDID) is None
    headers = {
        "x-azure-fdid": FDID,
        "x-azure-clientip": "192.0.2.1",
        "x-azure-socketip": "198.51.100.4",
    }
    assert client_ip(headers, FDID) == "198.51.100.4"


def test_forwarded_for_is_never_read() -> None:
    """A client-supplied X-Forwarded-For gives no address, even through Front Door."""
    assert client_ip({"x-forwarded-for": "192.0.2.1", "x-azure-fdid": FDID}, FDID) is None


def test_front_door_headers_from_another_profile_are_ignored() -> None:
    """X-Azure-SocketIP counts only when X-Azure-FDID names the configured profile."""
    headers = {"x-azure-fdid": "another-profile", "x-azure-socketip": "203.0.113.7"}
    assert client_ip(headers, FDID) is None
    assert client_ip({"x-azure-socketip": "203.0.113.7"}, FDID) is None


def test_no_front_door_configured_means_no_per_ip_bucket() -> None:
    """Without FRONT_DOOR_ID nothing proves where a request came from: no address is used."""
    assert client_ip({"x-azure-fdid": FDID, "x-azure-socketip": "203.0.113.7"}, "") is None


def test_bot_backend_addresses_are_parsed_as_addresses_and_blocks() -> None:
    """BOT_BACKEND_ADDRESSES takes addresses and CIDR blocks, IPv4 and IPv6, in any mix."""
    backend, malformed = BotBackend.parse("203.0.113.0/28, 198.51.100.4 2001:db8::/64")
    assert malformed == []
    assert backend.includes("203.0.113.9")
    assert backend.includes("198.51.100.4")
    assert backend.includes("2001:db8::5")
    assert not backend.includes("203.0.113.16")
    assert not backend.includes(None)


def test_malformed_bot_backend_entries_are_left_out_and_named() -> None:
    """An entry that is not an address is reported, and the others still count."""
    backend, malformed = BotBackend.parse("not-an-ip, 198.51.100.4")
    assert malformed == ["not-an-ip"]
    assert backend.includes("198.51.100.4")


def test_no_bot_backend_includes_nothing() -> None:
    """Unset, no address is exempt."""
    backend, _ = BotBackend.parse("")
    assert not backend.includes("198.51.100.4")
