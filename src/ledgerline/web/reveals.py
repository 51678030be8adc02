"""Secrets shown once after a redirect (the console's rotated token and app secret)."""

from __future__ import annotations

import hmac
import secrets
import time

from ledgerline.identity.sessions import session_hash

REVEAL_SECONDS = 120


class Reveals:
    """New secrets waiting to be shown once, after the POST's redirect (POST-redirect-GET,
    so reloading the page neither rotates again nor shows the secret again). In memory, for
    a couple of minutes, bound to the console session that rotated."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, str, str, float]] = {}

    def put(self, session_id: str, label_key: str, value: str) -> str:
        now = time.monotonic()
        self._items = {k: v for k, v in self._items.items() if v[3] > now}
        reveal_id = secrets.token_urlsafe(16)
        self._items[reveal_id] = (session_hash(session_id), label_key, value, now + REVEAL_SECONDS)
        return reveal_id

    def pop(self, session_id: str, reveal_id: str | None) -> tuple[str, str] | None:
        item = self._items.get(reveal_id or "")
        if item is None or item[3] < time.monotonic():
            return None
        if not hmac.compare_digest(item[0], session_hash(session_id)):
            return None
        del self._items[reveal_id or ""]
        return item[1], item[2]
