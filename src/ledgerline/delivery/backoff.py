"""When to retry a webhook that failed: exponential, jittered, capped."""

from __future__ import annotations

import secrets

BASE_SECONDS = 1.0
CAP_SECONDS = 15 * 60.0
GIVE_UP_AFTER_SECONDS = 3 * 24 * 3600.0


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failures (1 s, 2 s, 4 s … 15 min),
    with ±20% jitter so receivers coming back are not stampeded."""
    delay: float = min(CAP_SECONDS, BASE_SECONDS * 2.0 ** max(0, attempts - 1))
    jitter = 0.8 + 0.4 * (secrets.randbelow(1001) / 1000)
    return delay * jitter


def should_give_up(first_created_ms: int, now_ms: int) -> bool:
    return (now_ms - first_created_ms) / 1000 > GIVE_UP_AFTER_SECONDS
