"""Folding what people type: Vietnamese typed with or without diacritics compares equal."""

from __future__ import annotations

import pytest

from ledgerline.domain.folding import fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Khoản 125.000 ₫ hôm qua", "khoan 125.000 ₫ hom qua"),
        ("SỐ DƯ", "so du"),
        ("Đà Nẵng  \t đường", "da nang duong"),
        ("  Ngân hàng\nDemo ", "ngan hang demo"),
        ("Straße 1/2 $", "strasse 1/2 $"),
        ("", ""),
    ],
)
def test_case_diacritics_and_spaces_fold_away(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_text_typed_without_diacritics_matches_the_written_form() -> None:
    assert fold("ngan hang") == fold("Ngân hàng") == fold("NGAN HANG")
    assert fold(fold("Hủy thẻ")) == fold("Hủy thẻ")  # folding twice changes nothing
