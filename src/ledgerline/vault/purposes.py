"""Which consent scope each purpose needs for each kind of record.

| purpose \\ kind   | balance  | transaction  | receipt  | shipment  | fraud_alert  | chat_message |
|------------------|----------|--------------|----------|-----------|--------------|--------------|
| notify           | balances | transactions | receipts | shipments | fraud_alerts | (linked)     |
| fraud_detection  | —        | fraud_alerts | —        | —         | fraud_alerts | —            |
| customer_service | customer_service + the kind's own scope                   | customer_service |
| user_access      | always, for the person themselves, while the data exists              |
| erasure          | always                                                                  |

"—" means never: no consent makes that purpose read that kind. Writes need the kind's own
scope (a chat message built from financial data needs a live link).
"""

from __future__ import annotations

from ledgerline.domain.records import RecordKind
from ledgerline.domain.scopes import Purpose, Scope

__all__ = ["CONSENT_FREE", "KIND_SCOPE", "RecordKind", "read_scopes", "write_scopes"]


# The scope under which a kind of data is shared at all (None: any live link).
KIND_SCOPE: dict[RecordKind, Scope | None] = {
    RecordKind.BALANCE: Scope.BALANCES,
    RecordKind.TRANSACTION: Scope.TRANSACTIONS,
    RecordKind.RECEIPT: Scope.RECEIPTS,
    RecordKind.SHIPMENT: Scope.SHIPMENTS,
    RecordKind.FRAUD_ALERT: Scope.FRAUD_ALERTS,
    RecordKind.CHAT_MESSAGE: None,
}

_FRAUD_KINDS = frozenset({RecordKind.TRANSACTION, RecordKind.FRAUD_ALERT})

# Purposes that do not depend on the business's consent.
CONSENT_FREE = frozenset({Purpose.USER_ACCESS, Purpose.ERASURE})


def write_scopes(kind: RecordKind) -> frozenset[Scope]:
    """Scopes the person must have granted for a record of ``kind`` to be stored."""
    scope = KIND_SCOPE[kind]
    return frozenset() if scope is None else frozenset({scope})


def read_scopes(purpose: Purpose, kind: RecordKind) -> frozenset[Scope] | None:
    """Scopes a read of ``kind`` for ``purpose`` needs; None when the purpose may never read it.

    An empty set means "a live link is enough". USER_ACCESS and ERASURE are not consent
    based (see ``CONSENT_FREE``) and return an empty set.
    """
    if purpose in CONSENT_FREE:
        return frozenset()
    if purpose is Purpose.NOTIFY:
        return write_scopes(kind)
    if purpose is Purpose.FRAUD_DETECTION:
        return frozenset({Scope.FRAUD_ALERTS}) if kind in _FRAUD_KINDS else None
    # CUSTOMER_SERVICE: the agent sees a category only if it is shared at all.
    return frozenset({Scope.CUSTOMER_SERVICE}) | write_scopes(kind)
