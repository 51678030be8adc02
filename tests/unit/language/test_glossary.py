"""Every Vietnamese catalogue follows ``docs/glossary.md``: modern tone placement ("hủy",
"hóa", never "huỷ", "hoá"), each term of the glossary used and none of the words it rules
out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GLOSSARY = ROOT / "docs" / "glossary.md"
CATALOGUES = [
    ROOT / "src/ledgerline/web/static/i18n/vi.json",
    ROOT / "src/ledgerline/web/static/i18n/inbox.vi.json",
    ROOT / "src/ledgerline/web/static/i18n/privacy.vi.json",
    ROOT / "src/ledgerline/linking/locales/vi.json",
    ROOT / "src/ledgerline/language/locales/vi/LC_MESSAGES/updates.po",
    ROOT / "src/ledgerline/customer_service/assistant/locales/vi/LC_MESSAGES/assistant.po",
    ROOT / "src/ledgerline/privacy/texts.py",
    ROOT / "src/ledgerline/privacy/locales/vi/LC_MESSAGES/access_log.po",
    ROOT / "src/ledgerline/privacy/export_texts.py",
    ROOT / "src/demobank/texts.py",
]
# The old placement: the tone on the first vowel of an open "oa", "oe", "uy" ("quý" is
# right in both styles: "qu" is one consonant).
OLD_TONE = re.compile(r"(?<![qQ])([oO][áàảãạéèẻẽẹ]|[uU][ýỳỷỹỵ])(?!\w)")


def _terms() -> list[tuple[str, str, list[str]]]:
    """The glossary's rows: (en, vi, the words it rules out)."""
    rows = []
    table = GLOSSARY.read_text(encoding="utf-8").partition("## Terms")[2]
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("en", "---"):
            continue
        never = [word.strip() for word in cells[2].split(",") if word.strip()]
        rows.append((cells[0], cells[1], never))
    return rows


def _texts() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in CATALOGUES).casefold()


def test_the_glossary_has_its_terms() -> None:
    terms = _terms()
    assert len(terms) >= 20
    assert ("cancel", "hủy", []) in terms
    assert ("receipt (a purchase's)", "hóa đơn", ["biên nhận", "biên lai"]) in terms


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.name)
def test_no_catalogue_uses_the_old_tone_placement(path: Path) -> None:
    found = [
        f"{number}: {match.group(0)!r} in {line.strip()[:60]!r}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for match in OLD_TONE.finditer(line)
    ]
    assert found == []


def test_the_old_tone_placement_is_recognised() -> None:
    assert OLD_TONE.findall("Huỷ liên kết, hoá đơn, xoá, khoá thẻ") == ["uỷ", "oá", "oá", "oá"]
    assert OLD_TONE.findall("Hủy liên kết, hóa đơn, quý khách, khoản, thuở") == []


@pytest.mark.parametrize(("en", "vi", "never"), _terms(), ids=lambda value: str(value))
def test_each_term_is_used_and_its_rivals_never(en: str, vi: str, never: list[str]) -> None:
    texts = _texts()
    used = re.sub(r"\s*\(.*?\)", "", vi.split(" / ")[0]).casefold()
    assert used in texts, f"{en!r}: no catalogue says {used!r} any more"
    assert [word for word in never if word.casefold() in texts] == []


def test_an_account_name_is_not_preceded_by_its_own_noun() -> None:
    """A balance's ``{account}`` is the account's name: "Số dư tài khoản {account}" read
    "Số dư tài khoản Tài khoản thanh toán"."""
    texts = _texts()
    assert "số dư tài khoản {account}" not in texts
    assert "số dư thấp: tài khoản {account}" not in texts
    assert "số dư {account}" in texts
