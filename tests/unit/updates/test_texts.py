"""The vi catalogue covers every update text, keeps its placeholders, and Babel formats
money, times and cards the way the person reads them."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from ledgerline.chat import private
from ledgerline.fraud.online import alerts, reports
from ledgerline.language.formatter import LOCALES_DIR, Formatter, language_of
from ledgerline.updates import texts as update_texts

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _source_texts() -> set[str]:
    """Every text of the ``updates`` catalogue: the updates, fraud alerts, "Not me" reports
    and the line an erased private message leaves."""
    texts: set[str] = set()
    for module in (update_texts, alerts, reports, private):
        found = extract_from_file("python", Path(str(module.__file__)), keywords={"_": None})
        texts |= {str(message) for _line, message, _comments, _context in found}
    return texts


def test_every_text_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    with (LOCALES_DIR / "vi" / "LC_MESSAGES" / "updates.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    texts = _source_texts()
    assert len(texts) > 20
    for text in texts:
        entry = catalog.get(text)
        assert entry is not None, f"missing in vi: {text!r}"
        assert entry.string, f"untranslated: {text!r}"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(str(entry.string)))


def test_money_times_and_cards_in_each_locale() -> None:
    vi = Formatter.for_person("vi-VN", "Asia/Ho_Chi_Minh")
    en = Formatter.for_person("en_US", "Asia/Ho_Chi_Minh")
    amount = {"amount": "125000", "currency": "VND"}
    assert vi.money(amount) == "125.000\xa0₫"
    assert en.money(amount) == "₫125,000"
    assert vi.money({"amount": "5.5", "currency": "USD"}) == "5,50\xa0US$"
    moment = 1_795_914_900_000  # 2026-11-29T01:15:00Z = 08:15 in Hanoi
    assert vi.when(moment) == "08:15 29/11/26"  # day first: unambiguous in vi
    assert en.when(moment) == "Nov 29, 2026, 8:15\u202fAM"  # never "11/29/26"
    assert Formatter.card("1234") == "•••• 1234"
    assert language_of("fr") == "en"
    assert vi._("Was it you?") == "Có phải bạn đã thực hiện giao dịch này không?"


def test_numbers_are_written_the_locale_s_way() -> None:
    """vi never shows "0.8" beside its own "0,9"."""
    vi = Formatter.for_person("vi", None)
    en = Formatter.for_person("en", None)
    assert [vi.number(0.8), en.number(0.8)] == ["0,8", "0.8"]
    assert [vi.number(0.91234, places=4), en.number(0.91234, places=4)] == ["0,9123", "0.9123"]
    assert [vi.number(2, places=1), en.number(2, places=1)] == ["2,0", "2.0"]
    assert [vi.number(1500.5), en.number(1500.5)] == ["1.500,5", "1,500.5"]
    assert vi.number(1500.5, grouped=False) == "1500,5"  # a form field's value reads back
    assert vi.number(2) == "2"
    assert [vi.percent(0.8), en.percent(0.8)] == ["80%", "80%"]
