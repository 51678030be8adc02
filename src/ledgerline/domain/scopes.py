"""Consent scopes a person grants a business, and the purposes that may read each."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    BALANCES = "balances"
    TRANSACTIONS = "transactions"
    RECEIPTS = "receipts"
    SHIPMENTS = "shipments"
    FRAUD_ALERTS = "fraud_alerts"
    CUSTOMER_SERVICE = "customer_service"


class Purpose(StrEnum):
    NOTIFY = "notify"
    FRAUD_DETECTION = "fraud_detection"
    CUSTOMER_SERVICE = "customer_service"
    USER_ACCESS = "user_access"
    ERASURE = "erasure"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)

DEFAULT_CONSENT_DAYS = 180


def parse_scopes(values: object) -> frozenset[Scope]:
    """Parse a list of scope names; raises ValueError naming the first unknown one."""
    if not isinstance(values, list | tuple):
        raise ValueError("scopes must be a list of scope names")
    scopes: set[Scope] = set()
    for value in values:
        try:
            scopes.add(Scope(str(value)))
        except ValueError:
            known = ", ".join(sorted(s.value for s in Scope))
            raise ValueError(f"unknown scope {value!r}; known scopes: {known}") from None
    return frozenset(scopes)


def scopes_of(text: str) -> frozenset[Scope]:
    """Scopes stored as ``"balances,transactions"``."""
    return frozenset(Scope(v) for v in text.split(",") if v)
