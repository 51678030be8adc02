"""When a failed webhook is tried again: 1 s, 2 s, 4 s … capped at 15 minutes, ±20% jitter;
given up after three days."""

from __future__ import annotations

import pytest

from ledgerline.delivery.backoff import (
    BASE_SECONDS,
    CAP_SECONDS,
    GIVE_UP_AFTER_SECONDS,
    retry_delay,
    should_give_up,
)


@pytest.mark.parametrize(
    ("attempts", "nominal"),
    [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 512.0), (11, 900.0), (60, 900.0)],
)
def test_delays_double_up_to_the_cap_within_the_jitter(attempts: int, nominal: float) -> None:
    delays = [retry_delay(attempts) for _ in range(200)]
    assert all(0.8 * nominal - 1e-9 <= d <= 1.2 * nominal + 1e-9 for d in delays)
    assert len(set(delays)) > 1  # jittered: receivers coming back are not stampeded


def test_the_constants_are_messenger_like() -> None:
    assert BASE_SECONDS == 1.0
    assert CAP_SECONDS == 15 * 60
    assert GIVE_UP_AFTER_SECONDS == 3 * 24 * 3600


def test_an_event_is_given_up_only_after_three_days() -> None:
    created = 1_000_000
    three_days_ms = int(GIVE_UP_AFTER_SECONDS * 1000)
    assert not should_give_up(created, created)
    assert not should_give_up(created, created + three_days_ms)
    assert should_give_up(created, created + three_days_ms + 1)
