"""Agents for the inbox tests: create one, sign in through the real form, call the API."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ledgerline.service.agents import AgentAccounts, NewAgent
from tests.support.server import RunningPlatform

PASSWORD = "agent-password-1"


def create_agent(
    live: RunningPlatform, page_id: str, login: str, name: str, role: str = "agent"
) -> NewAgent:
    accounts = AgentAccounts(live.platform.db, live.platform.clock)
    return accounts.create_sync(
        page_id=page_id, login=login, name=name, role=role, password=PASSWORD
    )


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
