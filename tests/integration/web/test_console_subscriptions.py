"""The bank console shows the page's subscribed webhook fields and changes them (the same
subscription as ``/me/subscribed_apps``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerline.domain.webhook_fields import DEFAULT_FIELDS
from tests.support.forms import console_sign_in
from tests.support.inprocess import in_process_server
from tests.support.server import RunningPlatform


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with in_process_server(database_url, tmp_path) as running:
        yield running


def _checked(page: str) -> list[str]:
    return re.findall(r'value="(\w+)" data-testid="field-\w+" checked', page)


def _api_fields(live: RunningPlatform, token: str) -> list[str] | None:
    with live.client() as api:
        data = api.get("/v19.0/me/subscribed_apps", params={"access_token": token}).json()
    return data["data"][0]["subscribed_fields"] if data["data"] else None


def test_the_console_shows_and_changes_the_subscribed_fields(live: RunningPlatform) -> None:
    business = live.create_business("Demo Bank")
    other = live.create_business("Other Bank")
    token = business["page_access_token"]
    with live.client(headers={"Origin": live.url}) as http:
        csrf = console_sign_in(http, token)
        page = http.get("/console?lang=en").text
        assert "Subscribed fields" in page
        assert _checked(page) == list(DEFAULT_FIELDS)
        assert 'data-testid="field-standby"' in page  # offered, not checked

        saved = http.post(
            "/console/subscriptions",
            data={"csrf": csrf, "field": ["messages", "standby", "messaging_handovers"]},
            follow_redirects=True,
        )
        assert "Subscribed fields saved." in saved.text
        assert _checked(saved.text) == ["messages", "messaging_handovers", "standby"]
        assert _api_fields(live, token) == ["messages", "messaging_handovers", "standby"]
        assert _api_fields(live, other["page_access_token"]) == list(DEFAULT_FIELDS)

        # A field Meta knows but Ledgerline never sends, set through the API, is kept.
        with live.client() as api:
            api.post(
                "/v19.0/me/subscribed_apps",
                params={"access_token": token},
                json={"subscribed_fields": ["messages", "feed"]},
            ).raise_for_status()
        moved = http.post("/console/subscriptions", data={"csrf": csrf, "field": "message_reads"})
        assert moved.status_code == 303
        assert _api_fields(live, token) == ["message_reads", "feed"]

        refused = http.post("/console/subscriptions", data={"csrf": csrf, "field": "mentions"})
        assert refused.status_code == 400
        assert "could not be saved" in refused.text
        assert (
            http.post(
                "/console/subscriptions", data={"csrf": "forged", "field": "messages"}
            ).status_code
            == 403
        )
        assert _api_fields(live, token) == ["message_reads", "feed"]

        # Nothing checked, nothing else kept: unsubscribed, and the console says so.
        with live.client() as api:
            api.post(
                "/v19.0/me/subscribed_apps",
                params={"access_token": token},
                json={"subscribed_fields": ["messages"]},
            ).raise_for_status()
        none = http.post("/console/subscriptions", data={"csrf": csrf}, follow_redirects=True)
        assert 'data-testid="unsubscribed"' in none.text
        assert "no events are sent" in none.text
        assert _checked(none.text) == []
        assert _api_fields(live, token) is None
