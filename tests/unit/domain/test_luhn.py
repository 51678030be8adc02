"""Card numbers anywhere in a JSON document are found; what is not one is not flagged."""

from __future__ import annotations

from typing import Any

from hypothesis import given, strategies as st

from ledgerline.domain.luhn import find_card_number, luhn_valid

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
