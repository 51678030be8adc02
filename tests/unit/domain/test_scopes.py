"""Consent scopes: parsed strictly, stored as a comma list."""

from __future__ import annotations

import pytest

from ledgerline.domain.scopes import ALL_SCOPES, Scope, parse_scopes, scopes_of


def test_scopes_parse_from_lists_and_tuples() -> None:
    assert parse_scopes(["balances", "transactions", "balances"]) == {
        Scope.BALANCES,
        Scope.TRANSACTIONS,
    }
    assert parse_scopes(()) == frozenset()
    assert frozenset(Scope) == ALL_SCOPES


def test_unknown_or_malformed_scopes_are_refused() -> None:
    with pytest.raises(ValueError, match="scopes must be a list"):
        parse_scopes("balances")
    with pytest.raises(ValueError, match=r"unknown scope 'ads'; known scopes: balances, "):
        parse_scopes(["balances", "ads"])


def test_stored_scopes_read_back() -> None:
    assert scopes_of("balances,fraud_alerts") == {Scope.BALANCES, Scope.FRAUD_ALERTS}
    assert scopes_of("") == frozenset()
