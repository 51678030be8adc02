"""privacy.log_texts: the access log's sentences come from a gettext catalogue, every one of
them translated into Vietnamese."""

from __future__ import annotations

import pytest

from ledgerline.language.formatter import translations
from ledgerline.privacy.log_texts import ACCESS_LOG, NOT_ALLOWED, SENTENCES

MSGIDS = [*SENTENCES.values(), NOT_ALLOWED]


@pytest.mark.parametrize("msgid", MSGIDS)
def test_every_sentence_has_its_vietnamese(msgid: str) -> None:
    vietnamese = translations("vi", ACCESS_LOG).gettext(msgid)
    assert vietnamese != msgid
    assert set(_fields(vietnamese)) == set(_fields(msgid))


def _fields(text: str) -> list[str]:
    return sorted(part.split("}")[0] for part in text.split("{")[1:])
