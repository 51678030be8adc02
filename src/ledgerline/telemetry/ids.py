"""Ids in logs: a keyed hash, so lines about one business or person can be followed without
the log naming them (and without a dictionary attack on short ids)."""

from __future__ import annotations

import hashlib


class IdHasher:
    def __init__(self, secret_key: bytes) -> None:
        self._key = hashlib.blake2b(secret_key, digest_size=32, person=b"ll-log-ids").digest()

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        return hashlib.blake2b(value.encode(), digest_size=6, key=self._key).hexdigest()
