"""Agents for the inbox tests: create one, sign in through the real form, call the API."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ledgerline.chat.ownership import PAGE_INBOX_APP_ID
from ledgerline.customer_service.agents import AgentAccounts, NewAgent
from ledgerline.storage.stores import threads as thread_store
from tests.support.server import RunningPlatform

PASSWORD = "agent-password-1"


def create_agent(
    live: RunningPlatform, page_id: str, login: str, name: str, role: str = "agent"
) -> NewAgent:
    accounts = AgentAccounts(live.platform.db, live.platform.clock)
    return accounts.create_sync(
        page_id=page_id, login=login, name=name, role=role, password=PASSWORD
    )


def graph(
    live: RunningPlatform, page_token: str, path: str, body: dict[str, Any]
) -> httpx.Response:
    """The business's ``POST /v2.6/me/<path>`` with its page token."""
    with live.client() as http:
        return http.post(f"/v2.6/me/{path}", params={"access_token": page_token}, json=body)


def psid_of(live: RunningPlatform, page_id: str, user_id: str) -> str:
    thread = live.platform.db.read_sync(thread_store.get_thread, page_id, user_id)
    assert thread is not None
    return thread.psid


def pass_to_inbox(
    live: RunningPlatform, business: dict[str, str], user_id: str, metadata: str = "loan"
) -> str:
    """The business passes the person's thread to the agent inbox; the PSID."""
    psid = psid_of(live, business["page_id"], user_id)
    passed = graph(
        live,
        business["page_access_token"],
        "pass_thread_control",
        {"recipient": {"id": psid}, "target_app_id": PAGE_INBOX_APP_ID, "metadata": metadata},
    )
    assert passed.json() == {"success": True}, passed.text
    return psid


def _meta(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" content="([^"]*)"', html)
    assert found, f"no meta {name}"
    return found.group(1)


class AgentClient:
    """A browser-like client of the inbox: session cookie, CSRF header, same origin."""

    def __init__(self, live: RunningPlatform, page_id: str, login: str) -> None:
        self.http = live.client(headers={"Origin": live.url})
        form = self.http.get("/inbox")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text[:300]
        signed = self.http.post(
            "/inbox/signin",
            data={"csrf": csrf.group(1), "page_id": page_id, "login": login, "password": PASSWORD},
        )
        assert signed.status_code == 303, signed.text[:300]
        page = self.http.get("/inbox")
        assert page.status_code == 200
        self.csrf = _meta(page.text, "csrf-token")

    def get(self, path: str) -> httpx.Response:
        return self.http.get("/inbox/api" + path)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(
            "/inbox/api" + path, json=body or {}, headers={"X-CSRF-Token": self.csrf}
        )

    def queue(self) -> list[dict[str, Any]]:
        response = self.get("/queue")
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def close(self) -> None:
        self.http.close()
