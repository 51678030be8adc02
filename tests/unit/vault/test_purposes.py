from __future__ import annotations

import pytest

from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.vault.purposes import RecordKind, read_scopes, write_scopes


@pytest.mark.parametrize(
    ("kind", "scope"),
    [
        (RecordKind.BALANCE, Scope.BALANCES),
        (RecordKind.TRANSACTION, Scope.TRANSACTIONS),
        (RecordKind.RECEIPT, Scope.RECEIPTS),
        (RecordKind.SHIPMENT, Scope.SHIPMENTS),
        (RecordKind.FRAUD_ALERT, Scope.FRAUD_ALERTS),
    ],
)
def test_notify_needs_the_kinds_own_scope(kind: RecordKind, scope: Scope) -> None:
    assert write_scopes(kind) == frozenset({scope})
    assert read_scopes(Purpose.NOTIFY, kind) == frozenset({scope})
    assert read_scopes(Purpose.CUSTOMER_SERVICE, kind) == frozenset({scope, Scope.CUSTOMER_SERVICE})


def test_chat_messages_need_a_live_link() -> None:
    assert write_scopes(RecordKind.CHAT_MESSAGE) == frozenset()
    assert read_scopes(Purpose.NOTIFY, RecordKind.CHAT_MESSAGE) == frozenset()
    assert read_scopes(Purpose.CUSTOMER_SERVICE, RecordKind.CHAT_MESSAGE) == frozenset(
        {Scope.CUSTOMER_SERVICE}
    )


def test_fraud_detection_reads_only_transactions_and_alerts() -> None:
    for kind in RecordKind:
        expected = (
            frozenset({Scope.FRAUD_ALERTS})
            if kind in (RecordKind.TRANSACTION, RecordKind.FRAUD_ALERT)
            else None
        )
        assert read_scopes(Purpose.FRAUD_DETECTION, kind) == expected


def test_the_persons_own_access_and_erasure_need_no_consent() -> None:
    for kind in RecordKind:
        assert read_scopes(Purpose.USER_ACCESS, kind) == frozenset()
        assert read_scopes(Purpose.ERASURE, kind) == frozenset()
