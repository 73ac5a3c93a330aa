"""Per-instance rate limiting: token buckets with progressive delays."""

from __future__ import annotations

from shared.failover.ratelimit import BucketConfig, RateLimitConfig, RateLimiter, client_ip
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


def test_client_ip_is_the_first_forwarded_address_without_port() -> None:
    """X-Forwarded-For as Azure sets it: the client first, possibly with a port."""
    assert client_ip("203.0.113.7:51234, 10.0.0.1") == "203.0.113.7"
    assert client_ip("[2001:db8::1]:443") == "2001:db8::1"
    assert client_ip("2001:db8::2") == "2001:db8::2"
    assert client_ip(None) is None
    assert client_ip("") is None
