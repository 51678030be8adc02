"""Identity rules without I/O: sign-in names, sign-up checks, passwords, CSRF tokens."""

from __future__ import annotations

import pytest

from ledgerline.identity.errors import SignUpInvalid
from ledgerline.identity.passwords import hash_password, verify_password
from ledgerline.identity.service import check_sign_up, normalize_login
from ledgerline.identity.sessions import (
    BUSINESS,
    PERSON,
    csrf_ok,
    csrf_token,
    new_session_id,
    session_hash,
)

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("An.Nguyen", "an.nguyen"),
        ("  AN@Example.COM ", "an@example.com"),
        ("+84 912-345-678", "+84912345678"),
        ("(028) 3822 1234", "02838221234"),
        ("ab", None),
        ("<script>", None),
        ("1234", "1234"),
        ("12", None),
        ("a" * 41, None),
    ],
)
def test_sign_in_names_are_usernames_emails_or_phone_numbers(raw: str, folded: str | None) -> None:
    assert normalize_login(raw) == folded


def test_sign_up_names_the_first_bad_field() -> None:
    good = {
        "name": "An",
        "login": "an.nguyen",
        "password": "long enough",
        "locale": "vi",
        "timezone": "Asia/Ho_Chi_Minh",
    }
    assert check_sign_up(**good).login == "an.nguyen"
    for field, value in [
        ("name", " "),
        ("login", "x"),
        ("password", "short"),
        ("locale", "fr"),
        ("timezone", "Mars/Base"),
    ]:
        with pytest.raises(SignUpInvalid) as caught:
            check_sign_up(**{**good, field: value})
        assert caught.value.field == field


def test_passwords_are_argon2id_and_unknown_users_still_pay_the_verification() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse") == (True, False)
    assert verify_password(hashed, "wrong horse") == (False, False)
    assert verify_password("not-a-hash", "x") == (False, False)
    assert verify_password(None, "correct horse") == (False, False)


def test_csrf_tokens_are_bound_to_the_session_and_its_kind() -> None:
    session = new_session_id()
    assert len(session) >= 43  # 256 bits, url-safe base64
    assert session_hash(session) != session
    token = csrf_token(KEY, PERSON, session)
    assert csrf_ok(KEY, PERSON, session, token)
    assert not csrf_ok(KEY, BUSINESS, session, token)
    assert not csrf_ok(KEY, PERSON, new_session_id(), token)
    assert not csrf_ok(b"x" * 32, PERSON, session, token)
    assert not csrf_ok(KEY, PERSON, session, None)
    assert not csrf_ok(KEY, PERSON, None, token)
