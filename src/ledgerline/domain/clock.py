"""The Clock port: every 'now' in the platform comes from here, so tests can control time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for timeouts and backoff."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FrozenClock:
    """A clock that moves only when told to (tests and simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware start")
        self._now = start
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        self._mono += delta.total_seconds()


# The times a client may give (a transaction's booked_at, a balance's as_of, a shipment's eta,
# a receipt's timestamp): from 1970-01-01 to the end of 2099, UTC. Outside it a time is a
# mistake, and far enough outside it breaks date arithmetic (year 9999 + a time zone).
EARLIEST_MS = 0  # 1970-01-01T00:00:00Z
LATEST_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z, excluded
TIME_RANGE_TEXT = "between 1970-01-01 and 2099-12-31 (UTC)"


def in_time_range(ms: int) -> bool:
    """Whether epoch-ms ``ms`` lies in the range clients may give (see above)."""
    return EARLIEST_MS <= ms < LATEST_MS


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds, as Messenger's ``timestamp`` and ``time`` fields use."""
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
