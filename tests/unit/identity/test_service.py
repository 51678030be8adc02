"""Sign-in names and sign-up checks."""

from __future__ import annotations

import pytest

from ledgerline.identity.errors import SignUpInvalid
from ledgerline.identity.service import check_sign_up, normalize_login


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
