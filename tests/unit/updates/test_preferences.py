"""Preferences: validation, quiet hours across midnight, the next digest time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.updates.preferences import Preferences, below, parse

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def at(hour: int, minute: int = 0, day: int = 29) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HANOI)


def test_quiet_hours_across_midnight() -> None:
    prefs = parse({"quiet_hours": {"start": "22:00", "end": "07:00"}})
    assert prefs.quiet_until(at(21, 59)) is None
    assert prefs.quiet_until(at(22, 0)) == at(7, 0, day=30)
    assert prefs.quiet_until(at(3, 30)) == at(7, 0)
    assert prefs.quiet_until(at(7, 0)) is None


def test_quiet_hours_within_a_day_and_the_digest() -> None:
    prefs = parse({"quiet_hours": {"start": "12:00", "end": "13:30"}, "digest_time": "20:00"})
    assert prefs.quiet_until(at(12, 45)) == at(13, 30)
    assert prefs.quiet_until(at(13, 30)) is None
    assert prefs.next_digest(at(10)) == at(20)
    assert prefs.next_digest(at(20)) == at(20, day=30)
    assert Preferences().next_digest(at(10)) is None


def test_partial_updates_keep_the_rest_and_bad_values_are_refused() -> None:
    base = parse({"min_transaction_amount": {"amount": "100000", "currency": "VND"}})
    changed = parse({"categories": {"shipments": False}}, base)
    assert changed.min_transaction_amount == {"amount": "100000", "currency": "VND"}
    assert changed.wants("shipments") is False
    assert changed.wants("transactions") is True
    assert parse(changed.to_dict()) == changed
    for bad in (
        {"fraud_alerts": False},
        {"categories": {"fraud_alerts": False}},
        {"categories": {"balances": "no"}},
        {"quiet_hours": {"start": "7", "end": "08:00"}},
        {"digest_time": "24:00"},
        {"min_transaction_amount": {"amount": "1.5", "currency": "VND"}},
        {"low_balance_thresholds": {"acc": "100"}},
    ):
        with pytest.raises(InvalidParameter):
            parse(bad)


def test_below_never_compares_across_currencies() -> None:
    vnd = {"amount": "100", "currency": "VND"}
    assert below(vnd, {"amount": "200", "currency": "VND"})
    assert not below(vnd, {"amount": "200", "currency": "USD"})
    assert not below(vnd, None)
