"""What any text or JSON body must be before anything reads it: not too deep, no NUL or lone
surrogate, no bignum; errors say what is wrong, never the value."""

from __future__ import annotations

import json

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.inputs import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    bad_text,
    check_document,
    check_text,
    decode_json,
)


def test_texts_without_nul_or_lone_surrogates_pass() -> None:
    assert not bad_text("Số dư 😀")
    assert bad_text("a\x00b")
    assert bad_text("a\ud800")
    assert check_text("xin chào", "text") == "xin chào"
    with pytest.raises(InvalidParameter, match="text must not contain NUL"):
        check_text("\x00", "text")


def test_documents_within_the_rules_come_back_unchanged() -> None:
    document = {"a": [1, "two", {"b": None, "c": 10**MAX_INT_DIGITS - 1}], "d": 1.5}
    assert check_document(document) is document
    assert decode_json(json.dumps(document).encode()) == document
    assert decode_json(b'"\\u00e0 \\ud83d\\ude00"') == "à 😀"  # a pair is one character


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"{", "Invalid JSON in the request body"),
        (b"\xff", "Invalid JSON in the request body"),
        (b'"\\u0000"', "must not contain NUL characters or lone surrogates"),
        (b'{"\\ud800": 1}', "must not contain NUL characters or lone surrogates"),
        (b'["\\udfff"]', "must not contain NUL characters or lone surrogates"),
        (b"1" * (MAX_INT_DIGITS + 1), f"integers must have at most {MAX_INT_DIGITS} digits"),
        (b"9" * 5000, f"integers must have at most {MAX_INT_DIGITS} digits"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH}"),
        (
            b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
            f"nested more than {MAX_DEPTH}",
        ),
        (b"[" * 100_000 + b"]" * 100_000, f"nested more than {MAX_DEPTH}"),
    ],
)
def test_bodies_breaking_a_rule_are_refused(raw: bytes, problem: str) -> None:
    with pytest.raises(InvalidParameter, match=problem):
        decode_json(raw)


def test_an_escaped_backslash_is_not_an_escape() -> None:
    assert decode_json(b'"\\\\u0000"') == "\\u0000"  # a backslash, then the text u0000
    assert check_document({"k": "\x00"}, strings=False) == {"k": "\x00"}


@pytest.mark.parametrize(
    "document",
    [
        # more brackets than the depth limit, but shallow: the value is walked, and passes
        [[] for _ in range(MAX_DEPTH + 1)],
        # a long run of digits in a text, not a number: walked, and passes
        {"card_hint": "1" * (MAX_INT_DIGITS + 1), "n": 10**MAX_INT_DIGITS - 1},
        # brackets inside texts count too (the walk decides)
        {"text": "[" * (MAX_DEPTH + 1)},
    ],
)
def test_documents_that_look_suspect_on_their_face_are_walked_and_pass(document: object) -> None:
    assert decode_json(json.dumps(document).encode()) == document
