"""Passwords: argon2id, and unknown users still pay the verification."""

from __future__ import annotations

from ledgerline.identity.passwords import hash_password, verify_password


def test_passwords_are_argon2id_and_unknown_users_still_pay_the_verification() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse") == (True, False)
    assert verify_password(hashed, "wrong horse") == (False, False)
    assert verify_password("not-a-hash", "x") == (False, False)
    assert verify_password(None, "correct horse") == (False, False)
