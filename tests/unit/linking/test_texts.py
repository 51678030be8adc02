from __future__ import annotations

from typing import Any

from ledgerline.domain.scopes import Scope
from ledgerline.linking.texts import SCOPE_ORDER, catalogue, known_versions, pick_locale


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return len(value)
    return "s"


def test_both_locales_say_the_same_things() -> None:
    vi, en = catalogue("vi"), catalogue("en")
    assert _shape(vi.data) == _shape(en.data)
    assert set(SCOPE_ORDER) == set(Scope)
    for scope in Scope:
        assert vi.scope_name(scope) != en.scope_name(scope)


def test_text_versions_are_stable_and_per_locale() -> None:
    versions = known_versions()
    assert set(versions.values()) == {"vi", "en"}
    assert catalogue("vi").version.startswith("vi-")
    assert catalogue("vi").version == catalogue("vi-VN").version


def test_locale_negotiation() -> None:
    assert pick_locale(None, "vi-VN,vi;q=0.9,en;q=0.8") == "vi"
    assert pick_locale("fr", None) == "en"
    assert pick_locale("en", "vi") == "en"


def test_dates_are_written_in_the_locale_and_timezone() -> None:
    ms = 1_796_083_200_000  # 2026-12-01 00:00 UTC
    assert catalogue("en").date(ms, "UTC") == "December 1, 2026"
    assert "2026" in catalogue("vi").date(ms, "Asia/Ho_Chi_Minh")
    assert catalogue("en").date(ms, "Not/AZone") == "December 1, 2026"
