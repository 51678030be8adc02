"""The web app's static catalogues in Vietnamese and English."""

from __future__ import annotations

import json
from importlib import resources


def test_inbox_texts_exist_in_vietnamese_and_english() -> None:
    folder = resources.files("ledgerline.web").joinpath("static/i18n")
    vi = json.loads(folder.joinpath("inbox.vi.json").read_text())
    en = json.loads(folder.joinpath("inbox.en.json").read_text())
    assert vi.keys() == en.keys()
    assert all(vi[key] and vi[key] != en[key] for key in vi)  # translated, not copied
    for locale in ("vi", "en"):
        main = json.loads(folder.joinpath(f"{locale}.json").read_text())
        assert {"agent_answering", "agent_waiting", "agent_label"} <= main.keys()
