"""Properties of the request-body reader (issue 17 part 1): whatever the bytes, a value or
a clear 400 — never another exception, never a value that breaks the rules."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, strategies as st

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.inputs import MAX_DEPTH, MAX_INT_DIGITS, decode_json

# Texts a client may send: no NUL and no surrogate (a lone one cannot be encoded anyway).
good_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
good_ints = st.integers(-(10**MAX_INT_DIGITS) + 1, 10**MAX_INT_DIGITS - 1)
good_leaves = st.one_of(
    st.none(), st.booleans(), good_ints, st.floats(allow_nan=False, allow_infinity=False)
)
good_documents = st.recursive(
    st.one_of(good_leaves, good_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(good_text, inner, max_size=4)
    ),
    max_leaves=30,
)


@given(st.binary(max_size=300))
def test_any_bytes_give_a_value_or_a_400(raw: bytes) -> None:
    with contextlib.suppress(InvalidParameter):  # anything else fails the property
        decode_json(raw)


@given(good_documents, st.booleans())
def test_a_document_within_the_rules_comes_back_unchanged(document: Any, ascii_only: bool) -> None:
    raw = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8")
    assert decode_json(raw) == document


@given(st.integers(MAX_DEPTH + 1, 20_000), st.sampled_from(["[", '{"a":']))
def test_nesting_past_the_limit_is_a_400_at_any_depth(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    raw = (opener * depth + "1" + closer * depth).encode()
    with pytest.raises(InvalidParameter, match="nested more than"):
        decode_json(raw)


@given(good_text, good_text, st.sampled_from(["\\u0000", "\\ud800", "\\udfff", "\\uDBFF"]))
def test_a_nul_or_lone_surrogate_anywhere_is_a_400(before: str, after: str, bad: str) -> None:
    text = json.dumps(before)[:-1] + bad + json.dumps(after)[1:]
    for raw in (text, f'{{"k": {text}}}', f"{{{text}: 1}}", f"[1, {text}]"):
        with pytest.raises(InvalidParameter, match="NUL characters or lone surrogates"):
            decode_json(raw.encode())


@given(st.integers(MAX_INT_DIGITS + 1, 6000), st.sampled_from(["", "-"]))
def test_integers_past_the_limit_are_a_400(digits: int, sign: str) -> None:
    raw = f'{{"recipient": {{"id": {sign}1{"0" * (digits - 1)}}}}}'.encode()
    with pytest.raises(InvalidParameter, match=f"at most {MAX_INT_DIGITS} digits"):
        decode_json(raw)
