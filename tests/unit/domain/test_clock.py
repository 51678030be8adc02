"""The Clock port: the system's clock, a frozen one tests move, and epoch milliseconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from ledgerline.domain.clock import (
    EARLIEST_MS,
    LATEST_MS,
    FrozenClock,
    SystemClock,
    from_ms,
    in_time_range,
    to_ms,
)


def test_the_system_clock_is_aware_and_moves() -> None:
    clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is not None
    assert before <= now <= datetime.now(UTC)
    first = clock.monotonic()
    assert first <= time.monotonic()
    assert clock.monotonic() >= first


def test_a_frozen_clock_moves_only_when_told() -> None:
    start = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    clock = FrozenClock(start)
    assert clock.now() == start
    assert clock.monotonic() == 0.0
    clock.advance(timedelta(minutes=2))
    assert clock.now() == start + timedelta(minutes=2)
    assert clock.monotonic() == 120.0
    with pytest.raises(ValueError, match="timezone-aware"):
        FrozenClock(datetime(2026, 11, 29, 8, 0))  # noqa: DTZ001 - the point of the test


def test_epoch_milliseconds_both_ways() -> None:
    moment = datetime(2026, 11, 29, 1, 15, 0, 250_000, tzinfo=UTC)
    assert to_ms(moment) == 1_795_914_900_250
    assert from_ms(1_795_914_900_250) == moment


def test_the_time_range_clients_may_give() -> None:
    assert in_time_range(EARLIEST_MS)
    assert in_time_range(LATEST_MS - 1)
    assert not in_time_range(LATEST_MS)
    assert not in_time_range(-1)
    assert from_ms(LATEST_MS) == datetime(2100, 1, 1, tzinfo=UTC)
