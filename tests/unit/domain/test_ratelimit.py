"""Token buckets, driven by a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledgerline.domain.clock import FrozenClock
from ledgerline.domain.ratelimit import Limit, RateLimiter, TokenBucket, retry_after_seconds


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 29, tzinfo=UTC))


def test_a_full_bucket_allows_a_burst_then_refuses_with_the_wait(clock: FrozenClock) -> None:
    limiter = RateLimiter(Limit(rate=2, burst=3), clock)
    assert [limiter.check("page") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check("page") == pytest.approx(0.5)
    # A refused call takes nothing: after half a second exactly one call fits again.
    clock.advance(timedelta(seconds=0.5))
    assert limiter.check("page") == 0.0
    assert limiter.check("page") == pytest.approx(0.5)


def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst(clock: FrozenClock) -> None:
    limiter = RateLimiter(Limit(rate=10, burst=5), clock)
    for _ in range(5):
        limiter.check("page")
    clock.advance(timedelta(hours=1))
    granted = 0
    while limiter.check("page") == 0.0:
        granted += 1
    assert granted == 5


def test_each_key_has_its_own_bucket(clock: FrozenClock) -> None:
    limiter = RateLimiter(Limit(rate=1, burst=1), clock)
    assert limiter.check("a") == 0.0
    assert limiter.check("a") > 0
    assert limiter.check("b") == 0.0


def test_a_zero_rate_means_no_limit(clock: FrozenClock) -> None:
    limiter = RateLimiter(Limit(rate=0, burst=0), clock)
    assert all(limiter.check("page") == 0.0 for _ in range(10_000))
    assert len(limiter) == 0


def test_memory_is_bounded_idle_buckets_go_first(clock: FrozenClock) -> None:
    limiter = RateLimiter(Limit(rate=1, burst=2), clock, max_keys=3)
    limiter.check("busy")
    limiter.check("busy")
    limiter.check("idle-1")
    clock.advance(timedelta(seconds=1))  # idle-1 is full again, busy has one token back
    limiter.check("idle-2")  # 3 keys: busy (1 token), idle-1 (full), idle-2 (1 token)
    limiter.check("new")  # over the bound: the full one is dropped
    assert len(limiter) == 3
    assert limiter.check("busy") == 0.0
    assert limiter.check("busy") > 0  # the busy bucket kept its state


def test_when_every_bucket_is_busy_the_limiter_starts_over(clock: FrozenClock) -> None:
    limiter = RateLimiter(Limit(rate=1, burst=1), clock, max_keys=2)
    limiter.check("a")
    limiter.check("b")
    limiter.check("c")
    assert len(limiter) == 1


def test_a_clock_going_backwards_does_not_mint_tokens(clock: FrozenClock) -> None:
    limit = Limit(rate=1, burst=1)
    bucket = TokenBucket(limit, now=10.0)
    assert bucket.take(limit, 10.0) == 0.0
    assert bucket.take(limit, 5.0) == pytest.approx(1.0)


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Limit(rate=-1, burst=1)
    with pytest.raises(ValueError, match="burst"):
        Limit(rate=1, burst=0)


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after_seconds(0.01) == 1
    assert retry_after_seconds(1.2) == 2
