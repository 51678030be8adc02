"""Detect full card numbers (PANs) anywhere in a request body, so they are never stored.

A PAN is 13-19 digits that pass the Luhn check, written together or grouped with single
spaces or dashes ("4111 1111 1111 1111", "4111-1111-1111-1111").
"""

from __future__ import annotations

import re
from typing import Any

# A run of digits possibly separated by single spaces/dashes, not glued to more digits.
_CANDIDATE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


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


def contains_card_number(text: str) -> bool:
    for match in _CANDIDATE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        # Any 13..19-digit window inside a longer run could be the PAN.
        for length in range(19, 12, -1):
            for start in range(len(digits) - length + 1):
                if luhn_valid(digits[start : start + length]):
                    return True
    return False


def _collect_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        out.append(str(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            out.append(str(key))
            _collect_strings(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_strings(item, out)


def find_card_number(document: Any) -> bool:
    """True when any string or number anywhere in a JSON document holds a card number.

    Every string is scanned in one pass: they are joined with NUL, which no candidate can
    span (a 1,000-transaction request is one regex scan, not thousands)."""
    texts: list[str] = []
    _collect_strings(document, texts)
    return contains_card_number("\x00".join(texts))
