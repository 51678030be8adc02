"""A few seconds' memory of access tokens: keeps authentication off the database on hot paths."""

from __future__ import annotations

import time

TOKEN_CACHE_SECONDS = 5.0  # another process sees a revoked token go within this long


class TokenCache:
    """Token hash → owner id, for a few seconds: keeps auth off the database on hot paths.

    ``clear`` is called by whatever revokes tokens in this process (rotation, account
    deletion), so a revoked token is refused here at once. A look-up that was already under
    way when the cache was cleared does not store what it found (``generation``): it may
    have read the token before it was revoked."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, float]] = {}
        self.generation = 0

    def get(self, key: str) -> str | None:
        hit = self._entries.get(key)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key: str, value: str, generation: int) -> None:
        """Remember ``value``, looked up when the cache was at ``generation``."""
        if generation != self.generation:
            return
        if len(self._entries) > 100_000:
            self._entries.clear()
        self._entries[key] = (value, time.monotonic() + TOKEN_CACHE_SECONDS)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
