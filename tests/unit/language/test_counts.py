"""language.counts: a person's records counted in words, from the chat catalogue."""

from __future__ import annotations

import pytest

from ledgerline.language.counts import COUNTED, YOUR_DATA, counted, held_list
from ledgerline.language.formatter import UPDATES, translations


@pytest.mark.parametrize("kind", list(COUNTED))
def test_every_kind_is_counted_in_both_languages(kind: str) -> None:
    singular, plural = COUNTED[kind]
    assert counted(kind, 1, "en") == singular.format(n=1)
    assert counted(kind, 12, "en") == plural.format(n=12)
    assert counted(kind, 0, "en") == plural.format(n="no")
    vietnamese = counted(kind, 12, "vi")
    assert vietnamese.startswith("12 ")
    assert vietnamese != counted(kind, 12, "en")
    assert counted(kind, 0, "vi") == vietnamese.replace("12", "0", 1)


def test_counts_in_words() -> None:
    assert counted("transaction", 1, "en") == "1 transaction"
    assert counted("transaction", 0, "en") == "no transactions"
    assert counted("transaction", 0, "vi") == "0 giao dịch"
    assert counted("shipment", 2, "vi") == "2 cập nhật giao hàng"
    assert counted(None, 5, "vi") == "dữ liệu của bạn"
    assert counted("something_new", 5, "fr") == "your data"


def test_the_data_without_a_kind_has_its_vietnamese() -> None:
    assert translations("vi", UPDATES).gettext(YOUR_DATA) == "dữ liệu của bạn"


def test_what_is_held_in_one_line() -> None:
    counts = {"chat_message": 12, "transaction": 12, "receipt": 1, "balance": 0}
    assert held_list(counts, "en") == "12 transactions, 1 receipt, 12 updates"
    assert held_list(counts, "vi") == "12 giao dịch, 1 hóa đơn, 12 cập nhật"
    assert held_list({}, "en") == ""
