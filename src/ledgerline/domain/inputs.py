"""What any text or JSON document a client sends must be, before anything reads it.

* JSON nested at most :data:`MAX_DEPTH` deep (deeper input is an attack on recursive code);
* no NUL character (PostgreSQL cannot store one in text) and no lone UTF-16 surrogate (not
  a character: it cannot be encoded as UTF-8, so it could be neither stored nor sent);
* integers of at most :data:`MAX_INT_DIGITS` digits (an id or an amount, never a bignum).

A breach is an ``InvalidParameter`` (``(#100)``, HTTP 400) that says what is wrong, never the
value. :func:`decode_json` is the one JSON reader for request bodies: ``json.loads`` plus
these rules, with fast paths for the common case: one regex scan of the text for the
characters, a count of its brackets and a scan for long runs of digits for the rest.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ledgerline.domain.errors import InvalidParameter

MAX_DEPTH = 32
MAX_INT_DIGITS = 64
_INT_LIMIT = 10**MAX_INT_DIGITS

# A character no text may hold: NUL, or a UTF-16 surrogate code point (paired surrogates in
# JSON escapes decode to one character, so only a *lone* one survives decoding).
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
# In JSON text decoded as strict UTF-8 those can only be written as \u escapes (a raw NUL
# is invalid JSON, an encoded surrogate invalid UTF-8): an escape after an even run of
# backslashes.
_SUSPECT_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# A JSON number's digits are ASCII: an integer past the limit is a run this long or longer.
_LONG_DIGITS = re.compile(f"[0-9]{{{MAX_INT_DIGITS + 1}}}")


def bad_text(text: str) -> bool:
    """True when ``text`` holds a NUL or a lone surrogate."""
    return _BAD_CHAR.search(text) is not None


def check_text(text: str, what: str) -> str:
    """``text`` unchanged, or ``InvalidParameter`` naming ``what``."""
    if bad_text(text):
        raise InvalidParameter(f"{what} must not contain NUL characters or lone surrogates")
    return text


def check_document(value: Any, *, strings: bool = True) -> Any:
    """``value`` unchanged when it keeps the rules above; ``strings=False`` skips the
    character check of strings (done on the raw bytes already)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise _too_deep()
            for key, child in item.items():
                if strings and isinstance(key, str) and bad_text(key):
                    raise _bad_chars()
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if strings and bad_text(item):
                raise _bad_chars()
        elif type(item) is int and not -_INT_LIMIT < item < _INT_LIMIT:
            raise InvalidParameter(f"integers must have at most {MAX_INT_DIGITS} digits")
    return value


def decode_json(raw: bytes) -> Any:
    """Decode a request body (UTF-8 JSON, RFC 8259) under the rules above."""
    try:
        # Strict UTF-8 first: json.loads(bytes) would let encoded surrogates through.
        text = raw.decode("utf-8")
        value = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidParameter("Invalid JSON in the request body") from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # e.g. an integer beyond Python's 4,300-digit conversion limit
        raise InvalidParameter(
            f"Invalid JSON in the request body: integers must have at most {MAX_INT_DIGITS} digits"
        ) from None
    suspect = _SUSPECT_ESCAPE.search(text) is not None
    if not suspect and _plainly_within(text):
        return value
    return check_document(value, strings=suspect)


def _plainly_within(text: str) -> bool:
    """Whether the JSON ``text`` keeps the depth and integer rules on its face, so its value
    needs no walk (the common case, a Send API call): fewer brackets than the depth limit
    cannot nest past it, and no run of digits that long means no integer that long."""
    brackets = text.count("{") + text.count("[")
    return brackets <= MAX_DEPTH and _LONG_DIGITS.search(text) is None


def _too_deep() -> InvalidParameter:
    return InvalidParameter(f"The request body is nested more than {MAX_DEPTH} levels deep")


def _bad_chars() -> InvalidParameter:
    return InvalidParameter(
        "Texts in the request body must not contain NUL characters or lone surrogates"
    )
