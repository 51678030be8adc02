"""The webhook envelope: messaging and standby items, signatures."""

from __future__ import annotations

from ledgerline.delivery.signing import envelope


def test_standby_items_go_under_standby() -> None:
    item = {"sender": {"id": "1"}}
    assert envelope("p", 5, [item])["entry"] == [{"id": "p", "time": 5, "messaging": [item]}]
    assert envelope("p", 5, [], [item])["entry"] == [{"id": "p", "time": 5, "standby": [item]}]
    assert envelope("p", 5, [], [])["entry"] == [{"id": "p", "time": 5, "messaging": []}]
