"""Folding what people type into one comparable form.

Vietnamese is often typed without diacritics ("so du" for "số dư"), so what reads people's
words (the assistant's classifier and slots, typed answers to a fraud alert, the business
directory's search) works on a *folded* text: case folded, diacritics removed, ``đ`` → ``d``
(NFD does not decompose it), whitespace collapsed. Folding keeps every other character
(``₫``, ``$``, digits, ``/``).
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """``"Khoản 125.000 ₫ hôm qua"`` → ``"khoan 125.000 ₫ hom qua"``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", unicodedata.normalize("NFC", bare).casefold()).strip()
