"""A revoked token stops working at once in the process that revoked it, although the API
remembers recent tokens for a few seconds to keep authentication off the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.forms import console_sign_in
from tests.support.inprocess import in_process_server
from tests.support.server import RunningPlatform


@pytest.fixture
def live(tmp_path: Path) -> Iterator[RunningPlatform]:
    with in_process_server(f"sqlite:///{tmp_path / 'l.db'}", tmp_path) as running:
        yield running


def test_a_rotated_page_token_is_refused_at_once(live: RunningPlatform) -> None:
    business = live.create_business("Bank")
    old_token = business["page_access_token"]
    typing = {"recipient": {"id": "1"}, "sender_action": "typing_on"}
    with live.client() as api:

        def code_with(token: str) -> int:
            answer = api.post("/v15.0/me/messages", params={"access_token": token}, json=typing)
            return int(answer.json()["error"]["code"])

        assert code_with(old_token) == 100  # known token (now remembered), unknown person
        with live.client(headers={"Origin": live.url}) as web:
            csrf = console_sign_in(web, old_token)
            rotated = web.post("/console/rotate-token", data={"csrf": csrf}, follow_redirects=True)
        new_token = re.search(r'data-testid="secret-value">([^<]+)<', rotated.text)
        assert new_token is not None
        assert code_with(old_token) == 190
        assert code_with(new_token.group(1)) == 100
