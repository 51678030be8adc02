"""A date written out in a sentence, as each language writes it."""

from __future__ import annotations

from datetime import date

import pytest

from ledgerline.language.formatter import long_date


@pytest.mark.parametrize(
    ("lang", "written"),
    [
        ("vi", "5 tháng 6 năm 2027"),
        ("vi_VN", "5 tháng 6 năm 2027"),
        ("vi-VN", "5 tháng 6 năm 2027"),
        ("en", "June 5, 2027"),
        ("en_GB", "5 June 2027"),
    ],
)
def test_a_date_in_a_sentence(lang: str, written: str) -> None:
    assert long_date(date(2027, 6, 5), lang) == written
