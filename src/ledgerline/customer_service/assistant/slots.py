"""Slots: the amount, the day (or days) and the card a person's words point at.

Pure functions of the folded text (``assistant.text.fold``) and the person's *today* (a
date in their own timezone: "hôm qua" in Hà Nội at 00:30 is not yesterday in UTC).

Amounts, as people type them::

    125.000 ₫ · 125.000đ · 125000 dong · 125k · 125 nghìn/ngàn · 1,2 triệu · 1tr2 · 1tr250
    2 củ (slang: million) · 3 tỷ · $12.50 · 12.50 USD · 40 đô la · €9,99 · 125,000 VND · 1.5m

A separator followed by exactly three digits groups thousands (``125.000``, ``1,250``);
otherwise it is the decimal mark (``1,2 triệu``, ``$12.50``). A bare number counts as an
amount only when it is grouped or has at least four digits (so "thẻ 2" is not one).
Currency: ``₫/đ/đồng/VND`` and the Vietnamese multipliers give VND, ``$/USD/đô`` USD,
``€/EUR`` EUR; a bare number or ``k`` leaves it open (``None``: any currency matches).

Days: ``hôm nay/today/sáng nay``, ``hôm qua/yesterday``, ``hôm kia/the day before
yesterday``, ``N ngày trước/N days ago``, ``25/11`` (``/2026`` optional; without a year,
the latest 25/11 not after today), ``ngày 25 tháng 11``, ``Nov 25``/``25 November``,
weekdays (``thứ hai``/``thứ 2``/``chủ nhật``/``Monday``: the latest one not after today;
``last Monday``: the latest one before today; ``thứ hai tuần trước``: the Monday of last
week), and ranges ``tuần này/this week``, ``tuần trước/last week``, ``tháng này/this
month``, ``tháng trước/last month``.

Cards: ``đuôi 1234``, ``số cuối 1234``, ``ending (in) 1234``, ``•••• 1234``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

__all__ = ["Amount", "DayRange", "Slots", "extract", "parse_amount", "parse_days"]


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    currency: str | None  # None: not said (matches any currency)


@dataclass(frozen=True, slots=True)
class DayRange:
    """Local days, both ends included."""

    first: date
    last: date

    @classmethod
    def day(cls, day: date) -> DayRange:
        return cls(day, day)


@dataclass(frozen=True, slots=True)
class Slots:
    amount: Amount | None = None
    days: DayRange | None = None
    card_last4: str | None = None
    masked: str = ""  # the folded text with amounts as " amt " and other digits as 0


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    kind: str  # amount | days | card | time
    value: object


# -- numbers and amounts ----------------------------------------------------------------------
_NUM = r"\d+(?:[.,]\d+)*"
_VND_WORDS = r"(?:₫|dong|vnd|d)"
_THOUSAND = {"k": 1000, "nghin": 1000, "ngan": 1000, "thousand": 1000}
_MILLION = {"tr": 10**6, "trieu": 10**6, "cu": 10**6, "m": 10**6, "mil": 10**6}
_MILLION |= {"million": 10**6, "millions": 10**6}
_BILLION = {"ty": 10**9, "ti": 10**9, "bn": 10**9, "billion": 10**9}
_MULTIPLIERS = _THOUSAND | _MILLION | _BILLION
_VIETNAMESE_MULTIPLIERS = frozenset({"nghin", "ngan", "tr", "trieu", "cu", "ty", "ti"})
_MULT = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))


def _number(text: str) -> Decimal | None:
    """``125.000`` → 125000, ``1,2`` → 1.2, ``1,250.50`` → 1250.50; None if not a number."""
    marks = [ch for ch in text if ch in ".,"]
    if marks:
        if len(set(marks)) == 2:  # both: the last one is the decimal mark
            decimal_mark = text[max(text.rfind("."), text.rfind(","))]
            grouping = "," if decimal_mark == "." else "."
            text = text.replace(grouping, "").replace(decimal_mark, ".")
        elif len(marks) > 1 or len(text) - text.find(marks[0]) - 1 == 3:
            text = text.replace(marks[0], "")
        else:
            text = text.replace(marks[0], ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _with_currency(value: Decimal | None, currency: str | None) -> Amount | None:
    if value is None or value <= 0:
        return None
    plain = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return Amount(plain, currency)


def _amount_hits(text: str) -> Iterator[_Hit]:
    """Every candidate amount; overlaps are resolved by ``_pick``."""
    patterns: list[tuple[str, Callable[[re.Match[str]], Amount | None]]] = [
        (  # 1tr5, 1 triệu 2, 2k5: the digits after the multiplier are its decimals
            r"(?<![\d.,])(\d+)(?:\s?(tr|trieu|cu)\s?|(k))(\d{1,3})(?![\d.,/])",
            lambda m: _with_currency(
                Decimal(f"{m[1]}.{m[4]}") * _MULTIPLIERS[m[2] or m[3]],
                None if m[3] else "VND",
            ),
        ),
        (
            rf"(?<![\d.,])({_NUM})\s?({_MULT})\b(?:\s?{_VND_WORDS}\b)?",
            lambda m: _with_currency(
                _scaled(m[1], m[2]), "VND" if m[2] in _VIETNAMESE_MULTIPLIERS else None
            ),
        ),
        (r"\$\s?(" + _NUM + r")", lambda m: _with_currency(_number(m[1]), "USD")),
        (
            rf"(?<![\d.,])({_NUM})\s?(?:\$|usd\b|dollars?\b|do la\b|dola\b|do my\b)",
            lambda m: _with_currency(_number(m[1]), "USD"),
        ),
        (r"€\s?(" + _NUM + r")", lambda m: _with_currency(_number(m[1]), "EUR")),
        (
            rf"(?<![\d.,])({_NUM})\s?(?:€|eur\b|euros?\b)",
            lambda m: _with_currency(_number(m[1]), "EUR"),
        ),
        (
            rf"(?<![\d.,])({_NUM})\s?(?:₫|vnd\b|dong\b|d\b)",
            lambda m: _with_currency(_number(m[1]), "VND"),
        ),
        (r"(?:₫|vnd)\s?(" + _NUM + r")", lambda m: _with_currency(_number(m[1]), "VND")),
        (
            r"(?<![\d.,])(\d{1,3}(?:[.,]\d{3})+|\d{4,})(?![\d.,]*\d)",
            lambda m: _with_currency(_number(m[1]), None),
        ),
    ]
    for pattern, build in patterns:
        for match in re.finditer(pattern, text):
            amount = build(match)
            if amount is not None:
                yield _Hit(match.start(), match.end(), "amount", amount)


def _scaled(number: str, multiplier: str) -> Decimal | None:
    value = _number(number)
    return None if value is None else value * _MULTIPLIERS[multiplier]


# -- days -------------------------------------------------------------------------------------
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_VI_WEEKDAYS = {
    "thu hai": 0,
    "thu 2": 0,
    "thu ba": 1,
    "thu 3": 1,
    "thu tu": 2,
    "thu 4": 2,
    "thu nam": 3,
    "thu 5": 3,
    "thu sau": 4,
    "thu 6": 4,
    "thu bay": 5,
    "thu 7": 5,
    "chu nhat": 6,
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_RE = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_RELATIVE = {
    "the day before yesterday": -2,
    "day before yesterday": -2,
    "hom kia": -2,
    "hom qua": -1,
    "yesterday": -1,
    "dem qua": -1,
    "last night": -1,
    "hom nay": 0,
    "today": 0,
    "sang nay": 0,
    "trua nay": 0,
    "chieu nay": 0,
    "this morning": 0,
    "this afternoon": 0,
    "tonight": 0,
}


def _latest(day: int, month: int, today: date, year: int | None = None) -> date | None:
    """The date day/month (of ``year``, or the latest one not after today)."""
    try:
        if year is not None:
            return date(year if year >= 100 else 2000 + year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def _weekday(weekday: int, today: date, *, before_today: bool) -> date:
    back = (today.weekday() - weekday) % 7
    if back == 0 and before_today:
        back = 7
    return today - timedelta(days=back)


def _week_of(day: date) -> DayRange:
    monday = day - timedelta(days=day.weekday())
    return DayRange(monday, monday + timedelta(days=6))


def _month_before(today: date) -> DayRange:
    last = today.replace(day=1) - timedelta(days=1)
    return DayRange(last.replace(day=1), last)


def _day_hits(text: str, today: date) -> Iterator[_Hit]:
    def hit(match: re.Match[str], days: DayRange | date | None) -> Iterator[_Hit]:
        if days is None:
            return
        value = DayRange.day(days) if isinstance(days, date) else days
        yield _Hit(match.start(), match.end(), "days", value)

    for words, offset in _RELATIVE.items():
        for m in re.finditer(rf"\b{words}\b", text):
            yield from hit(m, today + timedelta(days=offset))
    for m in re.finditer(r"\b(\d{1,2}) (?:ngay (?:truoc|qua)|days? ago)\b", text):
        yield from hit(m, today - timedelta(days=int(m[1])))
    for m in re.finditer(
        r"(?<![\d.,/])(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?(?![\d/])", text
    ):
        yield from hit(m, _latest(int(m[1]), int(m[2]), today, int(m[3]) if m[3] else None))
    for m in re.finditer(r"\bngay (\d{1,2}) thang (\d{1,2})(?: nam (\d{4}))?\b", text):
        yield from hit(m, _latest(int(m[1]), int(m[2]), today, int(m[3]) if m[3] else None))
    for m in re.finditer(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_MONTH_RE}(?: (\d{{4}}))?", text
    ):
        month = _MONTHS.index(m[2]) + 1
        yield from hit(m, _latest(int(m[1]), month, today, int(m[3]) if m[3] else None))
    for m in re.finditer(rf"\b{_MONTH_RE} (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?", text):
        month = _MONTHS.index(m[1]) + 1
        yield from hit(m, _latest(int(m[2]), month, today, int(m[3]) if m[3] else None))
    for m in re.finditer(rf"\b(last |on |this )?({'|'.join(_EN_WEEKDAYS)})\b", text):
        weekday = _EN_WEEKDAYS.index(m[2])
        yield from hit(m, _weekday(weekday, today, before_today=m[1] == "last "))
    names = "|".join(_VI_WEEKDAYS)
    for m in re.finditer(rf"\b({names})\b( (?:tuan truoc|tuan roi))?", text):
        weekday = _VI_WEEKDAYS[m[1]]
        if m[2]:
            monday = today - timedelta(days=today.weekday() + 7)
            yield from hit(m, monday + timedelta(days=weekday))
        else:
            yield from hit(m, _weekday(weekday, today, before_today=False))
    ranges = {
        r"tuan nay|this week": DayRange(_week_of(today).first, today),
        r"tuan truoc|tuan roi|last week": _week_of(today - timedelta(days=7)),
        r"thang nay|this month": DayRange(today.replace(day=1), today),
        r"thang truoc|last month": _month_before(today),
    }
    for pattern, days in ranges.items():
        for m in re.finditer(rf"\b(?:{pattern})\b", text):
            yield from hit(m, days)


# -- cards and times --------------------------------------------------------------------------
def _other_hits(text: str) -> Iterator[_Hit]:
    card = (
        r"(?:duoi|so cuoi|cuoi|ending in|ending|ends in|ends with|card|••••|\*{4}|x{4})\s?(\d{4})\b"
    )
    for m in re.finditer(card, text):
        yield _Hit(m.start(1), m.end(1), "card", m[1])
    for m in re.finditer(r"(?<![\d.,])\d{1,2}(?::\d{2}|h\d{2})\b", text):
        yield _Hit(m.start(), m.end(), "time", None)


def _pick(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits: earliest first, and the longest of those starting together;
    cards, dates and times win over amounts on the same characters."""
    rank = {"card": 0, "time": 1, "days": 2, "amount": 3}
    chosen: list[_Hit] = []
    for candidate in sorted(hits, key=lambda h: (rank[h.kind] > 2, h.start, h.start - h.end)):
        if all(candidate.end <= h.start or candidate.start >= h.end for h in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda h: h.start)


def extract(folded: str, today: date) -> Slots:
    """The slots of a folded text; the first amount, day range and card mentioned."""
    hits = _pick([*_other_hits(folded), *_day_hits(folded, today), *_amount_hits(folded)])
    amount = next((h.value for h in hits if h.kind == "amount"), None)
    days = next((h.value for h in hits if h.kind == "days"), None)
    card = next((h.value for h in hits if h.kind == "card"), None)
    masked, cursor = [], 0
    for h in hits:
        if h.kind == "amount":
            masked.append(folded[cursor : h.start] + " amt ")
            cursor = h.end
    masked.append(folded[cursor:])
    return Slots(
        amount=amount if isinstance(amount, Amount) else None,
        days=days if isinstance(days, DayRange) else None,
        card_last4=card if isinstance(card, str) else None,
        masked=" ".join(re.sub(r"\d", "0", "".join(masked)).split()),
    )


def parse_amount(folded: str) -> Amount | None:
    """The first amount in a folded text."""
    return extract(folded, date(2000, 1, 1)).amount


def parse_days(folded: str, today: date) -> DayRange | None:
    """The first day range in a folded text."""
    return extract(folded, today).days
