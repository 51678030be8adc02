"""Each message's number in its thread (``seq``) and the refill after one (``after_seq``):
what a client holds on to so that it can never skip a message (issue 21, part 0)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.inprocess import in_process_server
from tests.support.linking import LinkedWorld, linked_world


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[LinkedWorld, dict[str, Any]]]:
    with in_process_server(database_url, tmp_path) as live, linked_world(live) as linked:
        user = live.create_user()
        psid = linked.link(user, ["transactions"])
        yield linked, {"user": user, "psid": psid}


def test_messages_are_numbered_in_their_thread_and_refilled_after_a_number(
    world: tuple[LinkedWorld, dict[str, Any]],
) -> None:
    linked, people = world
    person = {"Authorization": f"Bearer {people['user']['access_token']}"}
    thread = f"/api/v1/threads/{linked.business['page_id']}/messages"
    page = {"access_token": linked.business["page_access_token"]}
    with linked.live.client() as http:
        start = http.get(thread, headers=person).json()["data"]
        for text in ("one", "two"):
            assert http.post(thread, json={"text": text}, headers=person).status_code == 201
            sent = http.post(
                "/v2.6/me/messages",
                params=page,
                json={"recipient": {"id": people["psid"]}, "message": {"text": f"re {text}"}},
            )
            assert sent.status_code == 200, sent.text
        history = http.get(thread, headers=person).json()["data"]
        first = len(start)
        assert [m["seq"] for m in history] == list(range(1, first + 5))
        assert [m["text"] for m in history[first:]] == ["one", "re one", "two", "re two"]
        after = http.get(thread, params={"after_seq": first + 1}, headers=person)
        assert after.status_code == 200, after.text
        assert [m["text"] for m in after.json()["data"]] == ["re one", "two", "re two"]
        paged = http.get(thread, params={"after_seq": first + 1, "limit": 2}, headers=person)
        assert [m["seq"] for m in paged.json()["data"]] == [first + 2, first + 3]
        past_the_end = http.get(thread, params={"after_seq": first + 4}, headers=person)
        assert past_the_end.json()["data"] == []
        mixed = http.get(
            thread, params={"after_seq": 1, "after": history[0]["mid"]}, headers=person
        )
        assert mixed.status_code == 400, mixed.text
        assert "after_seq" in mixed.json()["error"]["message"]
        negative = http.get(thread, params={"after_seq": -1}, headers=person)
        assert negative.status_code == 400, negative.text
