"""A display name split as Messenger's user profile does: the given name is the last word
in Vietnamese (family name first), the first word otherwise."""

from __future__ import annotations

import pytest

from ledgerline.domain.person_names import PersonNames, split_name


@pytest.mark.parametrize(
    ("name", "locale", "expected"),
    [
        ("Nguyễn Văn An", "vi_VN", PersonNames("An", "Nguyễn", "Nguyễn Văn An")),
        ("Nguyễn  Văn An ", "vi-VN", PersonNames("An", "Nguyễn", "Nguyễn Văn An")),
        ("Jane Q. Doe", "en_US", PersonNames("Jane", "Doe", "Jane Q. Doe")),
        ("Jane Doe", None, PersonNames("Jane", "Doe", "Jane Doe")),
        ("Minh", "vi_VN", PersonNames("Minh", "", "Minh")),
        ("", "en_US", PersonNames("", "", "")),
        ("Jane Q. Doe", "en_GB", PersonNames("Jane", "Doe", "Jane Q. Doe")),
        ("  Minh  ", "vi", PersonNames("Minh", "", "Minh")),
        ("Ada Lovelace", None, PersonNames("Ada", "Lovelace", "Ada Lovelace")),
    ],
)
def test_first_last_and_full_names(name: str, locale: str | None, expected: PersonNames) -> None:
    assert split_name(name, locale) == expected
