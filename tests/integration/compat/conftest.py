"""Real Messenger client libraries from PyPI against a running Ledgerline (loopback).

Only the base URL changes: every ``requests`` call to ``https://graph.facebook.com`` goes to
the platform instead (the runtime redirect of shared/reference §9 — the libraries hard-code
the host, some in private attributes). Nothing else of the libraries is touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests  # noqa: TID251 - the libraries under test use requests

from ledgerline.storage.stores import threads as thread_store
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform

GRAPH = "https://graph.facebook.com"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a3a20000000049454e44ae426082"
)


@dataclass
class Bank:
    live: RunningPlatform
    receiver: RunningReceiver
    business: dict[str, str]
    psid: str
    user: dict[str, str]

    @property
    def token(self) -> str:
        return self.business["page_access_token"]

    def person_says(self, body: dict[str, Any]) -> None:
        with self.live.client() as http:
            answer = http.post(
                f"/api/v1/threads/{self.business['page_id']}/messages",
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
                json=body,
            )
            answer.raise_for_status()

    def shown(self) -> list[dict[str, Any]]:
        """The thread as the person's app shows it."""
        with self.live.client() as http:
            answer = http.get(
                f"/api/v1/threads/{self.business['page_id']}/messages",
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
                params={"limit": 200},
            )
            data: list[dict[str, Any]] = answer.json()["data"]
            return data


@pytest.fixture
def bank(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bank]:
    with (
        running_platform(database_url, tmp_path) as live,
        RunningReceiver(WebhookReceiver()) as receiver,
    ):
        original = requests.Session.request

        def to_ledgerline(self: requests.Session, method: str, url: str, *a: Any, **kw: Any) -> Any:
            if url.startswith(GRAPH):
                url = live.url + url[len(GRAPH) :]
            return original(self, method, url, *a, **kw)

        monkeypatch.setattr(requests.Session, "request", to_ledgerline)
        business = live.create_business("Compat Bank", webhook_url=receiver.url)
        receiver.receiver.app_secret = business["app_secret"]
        user = live.create_user(name="Nguyễn Văn An", locale="vi")
        found = Bank(live, receiver, business, "", user)
        found.person_says({"text": "Xin chào"})
        thread = live.platform.db.read_sync(
            thread_store.get_thread, business["page_id"], user["user_id"]
        )
        assert thread is not None
        found.psid = thread.psid
        yield found


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "card.png"
    path.write_bytes(PNG)
    return path
