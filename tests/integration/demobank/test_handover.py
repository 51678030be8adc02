"""The demo bank hands a person to human agents (Messenger's handover) and gets the thread
back when the agent is done: the whole customer-service loop with the demo bank."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.demo import RunningDemo, running_demo
from tests.support.inbox import AgentClient, create_agent
from tests.support.server import RunningPlatform, running_platform

pytestmark = pytest.mark.slow  # end to end: real processes or sockets


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def demo(live: RunningPlatform, tmp_path: Path) -> Iterator[RunningDemo]:
    with running_demo(live, state_path=tmp_path / "bank-state.json") as running:
        yield running


def _until(predicate: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_asking_the_demo_bank_for_a_person_reaches_an_agent_and_back(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    create_agent(live, demo.page_id, "lan", "Lan")
    user = live.create_user("An")
    person = live.client(headers={"Authorization": f"Bearer {user['access_token']}"})

    def messages() -> list[dict[str, Any]]:
        answer = person.get(f"/api/v1/threads/{demo.page_id}/messages", params={"limit": 100})
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def page_says(part: str) -> Callable[[], bool]:
        return lambda: any(
            m["from"] == "page" and part in (m.get("text") or "") for m in messages()
        )

    def say(text: str) -> None:
        answer = person.post(f"/api/v1/threads/{demo.page_id}/messages", json={"text": text})
        assert answer.status_code == 201, answer.text

    agent = AgentClient(live, demo.page_id, "lan")
    try:
        say("Cho tôi gặp nhân viên")
        _until(
            page_says("chuyển bạn đến một nhân viên"), json.dumps(messages(), ensure_ascii=False)
        )
        (waiting,) = _until(agent.queue, "the thread never reached the inbox")
        assert waiting["metadata"] == "asked for a person: Cho tôi gặp nhân viên"
        assert person.get(f"/api/v1/threads/{demo.page_id}/agent").json()["human"] is True

        # While the agents own the thread the bank's bot stays quiet (it gets standby).
        say("Xin chào")
        cid = waiting["conversation_id"]
        reply = agent.post(f"/conversations/{cid}/reply", {"text": "Chào An, em là Lan."})
        assert reply.status_code == 200, reply.text
        time.sleep(0.5)
        page_messages = [m for m in messages() if m["from"] == "page"]
        assert [m.get("text") for m in page_messages] == [
            "Tôi đang chuyển bạn đến một nhân viên của Ngân hàng Demo. Bạn vui lòng chờ trong giây "
            "lát.",
            "Chào An, em là Lan.",
        ]

        assert agent.post(f"/conversations/{cid}/hand_back").json() == {"success": True}
        owner = httpx.get(
            f"{live.url}/v2.6/me/thread_owner",
            params={
                "recipient": _psid(live, demo, user),
                "access_token": demo.business["page_access_token"],
            },
        ).json()
        assert owner["data"][0]["thread_owner"]["app_id"] == demo.business["app_id"]
        # The bank's bot answers again (an unlinked person is invited to link).
        before = len(messages())
        say("Xin chào")
        _until(lambda: len(messages()) >= before + 2, "the bot did not answer after hand back")
        assert messages()[-1]["from"] == "page"
    finally:
        agent.close()
        person.close()


def _psid(live: RunningPlatform, demo: RunningDemo, user: dict[str, str]) -> str:
    from ledgerline.storage.stores import threads as thread_store

    thread = live.platform.db.read_sync(thread_store.get_thread, demo.page_id, user["user_id"])
    assert thread is not None
    return thread.psid
