"""Slots: amounts and days as people type them, relative to the person's own today."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, strategies as st

from ledgerline.customer_service.assistant.slots import (
    Amount,
    DayRange,
    extract,
    parse_amount,
    parse_days,
)
from ledgerline.customer_service.assistant.text import fold

SUNDAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("said", "value", "currency"),
    [
        ("what was the 125.000 ₫ yesterday?", "125000", "VND"),
        ("khoản 125k hôm qua là gì", "125000", None),
        ("khoản 125 nghìn", "125000", "VND"),
        ("125 ngàn", "125000", "VND"),
        ("1,2 triệu", "1200000", "VND"),
        ("1tr2", "1200000", "VND"),
        ("1 triệu 250", "1250000", "VND"),
        ("2 củ", "2000000", "VND"),
        ("3 tỷ", "3000000000", "VND"),
        ("$12.50", "12.5", "USD"),
        ("12.50 USD", "12.5", "USD"),
        ("1,250.50 usd", "1250.5", "USD"),
        ("40 đô la", "40", "USD"),
        ("€9,99", "9.99", "EUR"),
        ("125,000 VND", "125000", "VND"),
        ("giao dich 450000d", "450000", "VND"),
        ("the 60.000 đ payment", "60000", "VND"),
        ("khoản 2k5", "2500", None),
        ("a 1.5m transfer", "1500000", None),
        ("khoản 99.000", "99000", None),
    ],
)
def test_amounts_as_people_type_them(said: str, value: str, currency: str | None) -> None:
    assert parse_amount(fold(said)) == Amount(Decimal(value), currency)


@pytest.mark.parametrize(
    "said",
    ["thẻ 2", "khóa thẻ đuôi 1234", "ngày 25/11", "lúc 8:15", "8h30 sáng", "3 ngày trước", "hi"],
)
def test_cards_dates_times_and_small_numbers_are_not_amounts(said: str) -> None:
    assert parse_amount(fold(said)) is None


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [
        ("hôm qua", date(2026, 11, 28), None),
        ("hom qua", date(2026, 11, 28), None),
        ("yesterday", date(2026, 11, 28), None),
        ("today", SUNDAY, None),
        ("sáng nay", SUNDAY, None),
        ("hôm kia", date(2026, 11, 27), None),
        ("the day before yesterday", date(2026, 11, 27), None),
        ("3 ngày trước", date(2026, 11, 26), None),
        ("2 days ago", date(2026, 11, 27), None),
        ("25/11", date(2026, 11, 25), None),
        ("ngày 25/11/2025", date(2025, 11, 25), None),
        ("31/12", date(2025, 12, 31), None),  # a 31/12 not after today: last year's
        ("ngày 20 tháng 11", date(2026, 11, 20), None),
        ("Nov 20", date(2026, 11, 20), None),
        ("20th November", date(2026, 11, 20), None),
        ("last Monday", date(2026, 11, 23), None),
        ("on Sunday", SUNDAY, None),
        ("last Sunday", date(2026, 11, 22), None),
        ("thứ hai", date(2026, 11, 23), None),
        ("thứ 6", date(2026, 11, 27), None),
        ("thứ hai tuần trước", date(2026, 11, 16), None),
        ("chủ nhật", SUNDAY, None),
        ("tuần trước", date(2026, 11, 16), date(2026, 11, 22)),
        ("this week", date(2026, 11, 23), SUNDAY),
        ("tháng này", date(2026, 11, 1), SUNDAY),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
    ],
)
def test_days_relative_to_the_persons_today(said: str, first: date, last: date | None) -> None:
    assert parse_days(fold(said), SUNDAY) == DayRange(first, last or first)


def test_an_invalid_date_is_no_date() -> None:
    assert parse_days("31/02", SUNDAY) is None


def test_the_sentence_from_the_issue_in_both_languages() -> None:
    for said in ("what was the 125.000 ₫ yesterday?", "khoản 125k hôm qua là gì"):
        slots = extract(fold(said), SUNDAY)
        assert slots.amount is not None
        assert slots.amount.value == Decimal(125000)
        assert slots.days == DayRange.day(date(2026, 11, 28))
        assert "amt" in slots.masked
        assert "125" not in slots.masked


def test_card_last_four() -> None:
    assert extract(fold("khóa thẻ đuôi 1234"), SUNDAY).card_last4 == "1234"
    assert extract(fold("freeze the card ending in 4321"), SUNDAY).card_last4 == "4321"
    assert extract(fold("lift the block on card 5678"), SUNDAY).card_last4 == "5678"
    assert extract(fold("lift the block on card 5678"), SUNDAY).amount is None
    assert extract(fold("freeze my card"), SUNDAY).card_last4 is None


def test_folding_removes_diacritics_and_keeps_symbols() -> None:
    assert fold("  Khoản 125.000 ₫  HÔM QUA đã  trả ") == "khoan 125.000 ₫ hom qua da tra"


# -- properties -------------------------------------------------------------------------------
amounts = st.integers(min_value=1, max_value=10**10).map(lambda n: Decimal(n * 1000))


@given(value=amounts)
def test_a_vnd_amount_written_by_babel_reads_back(value: Decimal) -> None:
    for locale in ("vi", "en"):
        written = format_currency(value, "VND", locale=locale)
        assert parse_amount(fold(f"khoản {written} hôm qua")) == Amount(value, "VND")


@given(cents=st.integers(min_value=1, max_value=10**9))
def test_a_usd_amount_with_cents_reads_back(cents: int) -> None:
    value = Decimal(cents) / 100
    written = format_decimal(value, format="#,##0.00", locale="en")
    assert parse_amount(fold(f"what was the ${written}?")) == Amount(value.normalize(), "USD")


@given(thousands=st.integers(min_value=1, max_value=999_999))
def test_thousands_with_k_or_nghin(thousands: int) -> None:
    assert parse_amount(f"{thousands}k") == Amount(Decimal(thousands * 1000), None)
    assert parse_amount(f"{thousands} nghin") == Amount(Decimal(thousands * 1000), "VND")


@given(
    today=st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)),
    back=st.integers(min_value=0, max_value=364),
)
def test_day_month_without_a_year_is_the_latest_such_day(today: date, back: int) -> None:
    day = today - timedelta(days=back)
    if (day.month, day.day) == (2, 29) and back > 0:
        return  # 29/02 without a year: the latest 29 February may be years back
    assert parse_days(f"ngay {day.day}/{day.month}", today) == DayRange.day(day)


@given(today=st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)))
def test_weekdays_are_never_in_the_future_and_within_a_week(today: date) -> None:
    for name in ("monday", "thu ba", "thu 4", "friday", "chu nhat"):
        found = parse_days(name, today)
        assert found is not None
        assert today - timedelta(days=6) <= found.first <= today
        last = parse_days(f"last {name}", today) if name.isascii() and " " not in name else None
        if last is not None:
            assert today - timedelta(days=7) <= last.first < today
