"""Find full card numbers (PANs) in text and JSON, so they are never stored or passed on.

A PAN here is 13-19 digits that start with a payment network's issuer range (IIN) at a
length that network issues (:data:`ISSUERS`) and pass the Luhn check. It may be written
together ("4111111111111111") or in groups separated by up to three spaces, dots, slashes,
dashes, underscores or bars ("4111 1111 1111 1111", "4111.1111.1111.1111", "4111/1111/1111/1111",
"3782  822463  10005"), and may be followed by an expiry and a security code, separated
("4111111111111111 12/28 123", "4111111111111111|12/28|123") or glued
("41111111111111111228123"); masking covers those too.

Issuer ranges and groups keep ordinary numbers out: a 16-digit run that starts with no
issuer's range, a phone number ("+84 912 345 678"), a date or an amount is not a PAN. A
bare 16-digit run that does start with an issuer range and passes Luhn cannot be told
from a PAN in free text (about 4 in 100 random 16-digit numbers); in fields a bank uses for
identifiers (:data:`ID_KEYS`: ``transaction_id``, ``account_id``…) a bare run is taken for
the identifier it is, and only a grouped PAN is refused there. ``docs/security.md`` has
the measured figures (tests/unit/domain/test_pan_corpus.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MASK = "•"

# (first digits from, to — same length —, PAN lengths) for each network's issuer ranges.
# Sources: ISO/IEC 7812 registrations as the networks publish them (Visa, Mastercard, Amex,
# Discover/Diners, JCB, UnionPay, Maestro, Mir, RuPay, Verve, Troy, Elo, NAPAS, UATP...).
_RANGES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("1", "1", (15,)),  # UATP
    ("1946", "1946", (16, 18, 19)),  # GPN
    ("2200", "2205", (16, 17, 18, 19)),  # Mir, BORICA
    ("2221", "2720", (16,)),  # Mastercard 2-series
    ("300", "305", (14, 15, 16, 17, 18, 19)),  # Diners Club
    ("3095", "3095", (14, 15, 16, 17, 18, 19)),
    ("34", "34", (15,)),  # American Express
    ("35", "35", (16, 17, 18, 19)),  # JCB 3528-3589, RuPay-JCB 353/356, LankaPay 357111
    ("36", "36", (14, 15, 16, 17, 18, 19)),  # Diners Club International
    ("37", "37", (15,)),  # American Express
    ("38", "39", (14, 15, 16, 17, 18, 19)),  # Diners Club
    # Visa (and Visa Electron, Dankort 4571, Elo 4011...); 13-digit Visa numbers are retired.
    ("4", "4", (16, 19)),
    # Maestro (12-15-digit Maestro numbers are rare legacy: left out), Verve, Elo 504-509.
    ("50", "50", (16, 17, 18, 19)),
    ("51", "55", (16,)),  # Mastercard
    ("56", "69", (16, 17, 18, 19)),  # Maestro, Discover, UnionPay 62, RuPay 60
    ("81", "82", (16, 17, 18, 19)),  # UnionPay 81, RuPay 81/82
    ("8600", "8600", (16,)),  # UzCard
    ("9704", "9704", (16, 19)),  # NAPAS (Việt Nam)
    ("9792", "9792", (16,)),  # Troy
    ("9860", "9860", (16,)),  # Humo
)

# Keys whose values are a bank's identifiers: a bare digit run there is an id, not a PAN.
ID_KEYS = frozenset(
    {
        "id",
        "psid",
        "mid",
        "transaction_id",
        "account_id",
        "terminal_id",
        "order_id",
        "order_number",
        "tracking_number",
        "alert_id",
        "reference",
        "recipient_id",
        "message_id",
    }
)

# Digit groups joined by at most three separators; a whole chain at a time.
_SEP = r"[ \t\u00a0\u2007\u202f.\-/_|\u2010-\u2015]{1,3}"
_CHAIN = re.compile(rf"(?<![\d+])\d+(?:{_SEP}\d+)*(?!\d)")
_GROUP = re.compile(r"\d+")
_MONTH = re.compile(r"0[1-9]|1[0-2]")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def issuer_range(digits: str) -> bool:
    """Whether ``digits`` starts with a network's issuer range at a length it issues."""
    length = len(digits)
    for low, high, lengths in _RANGES:
        if length in lengths and low <= digits[: len(low)] <= high:
            return True
    return False


def is_pan(digits: str) -> bool:
    """13-19 ASCII digits in an issuer's range that pass the Luhn check."""
    return 13 <= len(digits) <= 19 and issuer_range(digits) and luhn_valid(digits)


def _ascii(digits: str) -> str:
    if digits.isascii():
        return digits
    return "".join(str(unicodedata.digit(char)) for char in digits)


@dataclass(frozen=True, slots=True)
class Found:
    """Where a PAN was found: the spans of its digit groups in the text, and of what follows
    it in the same run or chain and looks like its expiry and security code (``tail``)."""

    spans: tuple[tuple[int, int], ...]
    tail: tuple[tuple[int, int], ...] = ()


def _glued(digits: str) -> int:
    """The length of a PAN at the start of a run longer than 19 digits that continues with
    an expiry (MMYY or YYMM) and a 3-4 digit security code, or one of the two; 0 when there
    is none. The likeliest split first: expiry and a 3-digit code."""
    for tail in (7, 8, 4, 3):
        length = len(digits) - tail
        if not 13 <= length <= 19 or not is_pan(digits[:length]):
            continue
        expiry = digits[length : length + 4]
        if tail == 3 or _MONTH.fullmatch(expiry[:2]) or _MONTH.fullmatch(expiry[2:]):
            return length
    return 0


def _card_like(groups: list[tuple[int, int, str]]) -> bool:
    """Groups as card numbers are written (4-4-4-4, 4-6-5, 4-4-4-4-3, 4-4-4-4-2...): every
    group but the last of four to six digits. Thousands (4.544.883.021.837) and decimals
    (40278281743.90) are not."""
    return all(4 <= len(g[2]) <= 6 for g in groups[:-1])


def find_pans(text: str, *, grouped_only: bool = False) -> Iterator[Found]:
    """Every PAN in ``text``. ``grouped_only``: only PANs written in two or more groups
    (in an identifier field a single run of digits is the identifier)."""
    for chain in _CHAIN.finditer(text):
        if chain.end() - chain.start() < 13:
            continue  # fewer than 13 digits (amounts, dates, codes): no PAN, glued or not
        groups = [
            (m.start() + chain.start(), m.end() + chain.start(), _ascii(m.group()))
            for m in _GROUP.finditer(chain.group())
        ]
        taken = -1  # groups up to this index belong to a PAN already found
        for first in range(len(groups)):
            if first <= taken:
                continue
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last][2]
                if len(digits) > 19:
                    if last == first and not grouped_only and (length := _glued(digits)):
                        start, end = groups[first][0], groups[first][1]
                        yield Found(((start, start + length),), ((start + length, end),))
                        taken = last
                    break
                if last == first and grouped_only:
                    continue
                if last > first and not _card_like(groups[first : last + 1]):
                    continue
                if is_pan(digits):
                    # An expiry and a security code right after it: up to three short groups
                    # (shortest PAN first, so a code is never shown as its "last four").
                    tail = []
                    for after in groups[last + 1 : last + 4]:
                        if not 1 <= after[1] - after[0] <= 4:
                            break
                        tail.append((after[0], after[1]))
                    spans = tuple((g[0], g[1]) for g in groups[first : last + 1])
                    yield Found(spans, tuple(tail))
                    taken = last + len(tail)
                    break


def contains_card_number(text: str, *, grouped_only: bool = False) -> bool:
    return next(find_pans(text, grouped_only=grouped_only), None) is not None


def mask_card_numbers(text: str) -> tuple[str, int]:
    """``text`` with every PAN's digits but the last four replaced by ``•`` (separators
    kept), an expiry and security code written right after it masked whole, and how many
    PANs were masked."""
    chars = list(text)
    count = 0
    for found in find_pans(text):
        count += 1
        for start, end in found.tail:
            chars[start:end] = MASK * (end - start)
        keep = 4
        for start, end in reversed(found.spans):
            for index in range(end - 1, start - 1, -1):
                if keep > 0:
                    keep -= 1
                else:
                    chars[index] = MASK
    return "".join(chars), count


def _walk(value: Any, key: str | None, texts: list[str], ids: list[str]) -> None:
    stack: list[tuple[Any, str | None]] = [(value, key)]
    while stack:
        item, name = stack.pop()
        if isinstance(item, str):
            (ids if name in ID_KEYS else texts).append(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int | float):
            (ids if name in ID_KEYS else texts).append(str(item))
        elif isinstance(item, dict):
            for child_key, child in item.items():
                texts.append(str(child_key))
                stack.append((child, str(child_key)))
        elif isinstance(item, list | tuple):
            stack.extend((child, name) for child in item)


def find_card_number(document: Any) -> bool:
    """True when a string or number anywhere in a JSON document holds a card number.

    Values of identifier keys (:data:`ID_KEYS`, e.g. ``transaction_id``) are checked for
    grouped PANs only. The strings are joined with NUL, which no candidate can span, so a
    1,000-transaction request is two regex scans, not thousands."""
    texts: list[str] = []
    ids: list[str] = []
    _walk(document, None, texts, ids)
    return contains_card_number("\x00".join(texts)) or contains_card_number(
        "\x00".join(ids), grouped_only=True
    )
