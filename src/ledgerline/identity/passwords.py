"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile).

Verification costs tens of milliseconds of CPU: callers run it off the event loop.
"""

from __future__ import annotations

import contextlib
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD = 8
MAX_PASSWORD = 1024


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the login is unknown, so both paths cost the same.
    return _hasher().hash("ledgerline-dummy-password-for-timing")


def verify_password(password_hash: str | None, password: str) -> tuple[bool, bool]:
    """``(matches, needs_rehash)``; with ``password_hash=None`` does the same work, fails."""
    hasher = _hasher()
    if password_hash is None:
        with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
            hasher.verify(_dummy_hash(), password)
        return False, False
    try:
        hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    return True, hasher.check_needs_rehash(password_hash)
