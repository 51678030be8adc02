"""Agent accounts: what a new agent must give."""

from __future__ import annotations

import pytest

from ledgerline.customer_service.agents import check_new_agent
from ledgerline.domain.errors import InvalidParameter


@pytest.mark.parametrize(
    ("login", "name", "role", "password"),
    [
        ("x", "Lan", "agent", "long enough"),
        ("lan", "", "agent", "long enough"),
        ("lan", "Lan", "boss", "long enough"),
        ("lan", "Lan", "agent", "short"),
    ],
)
def test_bad_agent_accounts_are_refused(login: str, name: str, role: str, password: str) -> None:
    with pytest.raises(InvalidParameter):
        check_new_agent(login=login, name=name, role=role, password=password)
