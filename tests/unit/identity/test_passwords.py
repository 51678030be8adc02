"""Passwords: argon2id, and unknown users still pay the verification."""

from __future__ import annotations

import pytest

from ledgerline.identity.passwords import hash_password, verify_password


@pytest.mark.usefixtures("production_password_hashing")
def test_passwords_are_argon2id_and_unknown_users_still_pay_the_verification() -> None:
    hashed = hash_password("correct horse")
    # RFC 9106's low-memory profile (argon2-cffi's default): 64 MiB, 3 passes, 4 lanes.
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse") == (True, False)
    assert verify_password(hashed, "wrong horse") == (False, False)
    assert verify_password("not-a-hash", "x") == (False, False)
    assert verify_password(None, "correct horse") == (False, False)
