"""Detect full card numbers (PANs) anywhere in a request body, so they are never stored.

A PAN is 13-19 digits that pass the Luhn check, written together or grouped with single
spaces or dashes ("4111 1111 1111 1111", "4111-1111-1111-1111").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        yield str(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def find_card_number(document: Any) -> bool:
    """True when any string or number anywhere in a JSON document holds a card number."""
    return any(contains_card_number(text) for text in _strings(document))
