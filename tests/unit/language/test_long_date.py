"""A date written out in a sentence, as each language writes it."""

from __future__ import annotations

from datetime import date

import pytest

from ledgerline.language.formatter import long_date, long_date_at


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


# 2027-06-04 20:30 UTC: already the 5th in Hanoi, still the 4th in New York.
LATE_EVENING_UTC = 1812141000000


@pytest.mark.parametrize(
    ("lang", "timezone", "written"),
    [
        ("vi", "Asia/Ho_Chi_Minh", "5 tháng 6 năm 2027"),
        ("en", "America/New_York", "June 4, 2027"),
        ("en", "UTC", "June 4, 2027"),
        ("en", None, "June 5, 2027"),  # no zone: the platform's default for people
        ("en", "Mars/Olympus_Mons", "June 5, 2027"),
    ],
)
def test_the_day_is_the_persons_where_they_live(
    lang: str, timezone: str | None, written: str
) -> None:
    assert long_date_at(LATE_EVENING_UTC, lang, timezone) == written
