"""privacy.log_texts: the access log's words come from a gettext catalogue, every one of them
translated into Vietnamese."""

from __future__ import annotations

import pytest

from ledgerline.language.formatter import translations
from ledgerline.privacy.log_texts import (
    ACCESS_LOG,
    COUNTED,
    NOT_ALLOWED,
    SENTENCES,
    YOUR_DATA,
    counted,
)

MSGIDS = [*SENTENCES.values(), NOT_ALLOWED, YOUR_DATA]


@pytest.mark.parametrize("msgid", MSGIDS)
def test_every_sentence_has_its_vietnamese(msgid: str) -> None:
    vietnamese = translations("vi", ACCESS_LOG).gettext(msgid)
    assert vietnamese != msgid
    assert set(_fields(vietnamese)) == set(_fields(msgid))


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


def _fields(text: str) -> list[str]:
    return sorted(part.split("}")[0] for part in text.split("{")[1:])
