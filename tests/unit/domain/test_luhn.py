"""Card numbers anywhere in a JSON document are found; what is not one is not flagged."""

from __future__ import annotations

from typing import Any

from hypothesis import given, strategies as st

from ledgerline.domain.luhn import (
    _RANGES,
    ID_KEYS,
    MASK,
    contains_card_number,
    find_card_number,
    find_pans,
    luhn_valid,
    mask_card_numbers,
)
from tests.support.pan_corpus import luhn_complete

PANS = ["4111111111111111", "5500005555555559", "340000000000009", "6011000990139424"]

short_texts = st.text(alphabet="abcxyz -.,₫đ0123456789", max_size=12)
json_leaves = st.one_of(short_texts, st.integers(-(10**6), 10**6), st.booleans(), st.none())
documents = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=25,
)


def _embed(document: Any, text: str) -> Any:
    return {"items": [document, {"merchant": {"name": text}}]}


def test_known_pans_pass_luhn_and_neighbours_do_not() -> None:
    for pan in PANS:
        assert luhn_valid(pan)
        assert not luhn_valid(pan[:-1] + str((int(pan[-1]) + 1) % 10))


@given(documents, st.sampled_from(PANS), st.sampled_from(["", " ", "-"]), short_texts)
def test_a_pan_anywhere_is_found(document: Any, pan: str, sep: str, prefix: str) -> None:
    grouped = sep.join(pan[i : i + 4] for i in range(0, len(pan), 4))
    assert find_card_number(_embed(document, f"{prefix.strip('0123456789')}x {grouped} y"))


@given(st.sampled_from(PANS))
def test_halves_of_a_pan_in_two_strings_are_not_one(pan: str) -> None:
    half = len(pan) // 2
    assert not find_card_number({"a": pan[:half], "b": pan[half:]})
    assert not find_card_number([pan[:half], pan[half:]])


@given(st.lists(st.integers(0, 999_999_999_999), max_size=30))
def test_amounts_and_ids_shorter_than_13_digits_are_never_flagged(numbers: list[int]) -> None:
    assert not find_card_number({"amounts": numbers, "ids": [str(n) for n in numbers]})


# -- the issue-17 detector: every issuer range, every layout, ids left alone ------------------
@st.composite
def issuer_pans(draw: st.DrawFn) -> str:
    """A Luhn-valid PAN of any issuer range and length the detector knows."""
    low, high, length = draw(
        st.sampled_from([(lo, hi, n) for lo, hi, ns in _RANGES for n in ns if n >= 13])
    )
    prefix = str(draw(st.integers(int(low), int(high)))).zfill(len(low))
    rest = draw(st.text(alphabet="0123456789", min_size=length, max_size=length))
    return luhn_complete((prefix + rest)[: length - 1])


words = st.text(alphabet="abcđươ ,:;!?()₫", max_size=12)
separators = st.sampled_from([" ", "  ", "-", ".", "/", "_", "|", " - ", "\u00a0"])


@given(issuer_pans(), separators, words, words)
def test_a_pan_of_any_issuer_in_any_layout_is_found_and_masked(
    pan: str, sep: str, before: str, after: str
) -> None:
    grouped = sep.join(pan[i : i + 4] for i in range(0, len(pan), 4))
    for written in (pan, grouped, f"{pan} 12/29 123", f"{pan}1229123"):
        text = f"{before} {written} {after}"
        assert contains_card_number(text), text
        assert find_card_number({"merchant": {"name": text}})
        masked, count = mask_card_numbers(text)
        assert count == 1
        assert not contains_card_number(masked)
        shown = "".join(c for c in masked if c.isdigit())
        assert len(shown) == 4  # four digits of the PAN, nothing of an expiry or a code
        assert shown in pan
        assert masked.count(MASK) >= len(pan) - 4


@given(st.integers(10**15, 10**16 - 1), st.sampled_from(sorted(ID_KEYS)))
def test_a_bare_numeric_id_in_an_id_field_is_never_refused(number: int, key: str) -> None:
    assert not find_card_number({"transactions": [{key: str(number)}, {key: number}]})


@given(st.text(alphabet="abc 0123456789.-/+", max_size=40))
def test_masking_changes_nothing_but_pans(text: str) -> None:
    masked, count = mask_card_numbers(text)
    if count == 0:
        assert masked == text
    assert len(masked) == len(text)
    assert not contains_card_number(masked)


any_documents = st.recursive(
    st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(any_documents)
def test_any_document_is_searched_without_error(document: Any) -> None:
    assert find_card_number(document) in (True, False)


@given(st.text(), st.sampled_from(PANS), st.text(alphabet="0123456789 -./", max_size=8))
def test_a_masked_text_holds_no_card_number_any_more(before: str, pan: str, after: str) -> None:
    text = f"{before} {pan} {after}"
    masked, count = mask_card_numbers(text)
    assert count >= 1
    assert not contains_card_number(masked)
    assert len(masked) == len(text)  # masked in place
    assert mask_card_numbers(masked) == (masked, 0)


def test_the_edges_found_by_example() -> None:
    """What the property tests reach only by chance, pinned by example: digits typed in
    another script (fullwidth), a long run whose tail is no expiry, values that are neither
    text nor numbers."""
    assert contains_card_number("thẻ ４１１１ １１１１ １１１１ １１１１")
    assert list(find_pans("41111111111111119999123")) == []  # 9999 is no month: not split
    assert [f.spans for f in find_pans("41111111111111111228123")] == [((0, 16),)]
    assert not find_card_number({"x": b"4111111111111111", "y": {1, 2}})
