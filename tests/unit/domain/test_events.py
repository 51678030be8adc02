"""Events the writers publish after commit: who hears a live frame."""

from __future__ import annotations

from ledgerline.domain.events import inbox_of


def test_an_inbox_has_its_own_audience() -> None:
    assert inbox_of("1234") == "inbox:1234"
    assert inbox_of("1234") != "1234"  # never a person's user id
