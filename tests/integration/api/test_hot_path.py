"""The lane that serves the hot bank endpoints ahead of FastAPI answers exactly as FastAPI's
own routes do: the same statuses, headers and bodies, for good calls and bad ones.

The same platform is served twice: as built (with the lane) and through a middleware stack
built without the lane, so every request below reaches FastAPI's route there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from ledgerline.api.front_door import FrontDoor
from ledgerline.domain.ids import appsecret_proof
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import ThreadedUvicorn, running_platform


def _without_lane(app: FastAPI) -> ASGIApp:
    """The app's middleware stack with a front door that has no lane (the lifespan already
    runs in the app)."""
    door: object = FrontDoor
    saved = app.user_middleware
    app.user_middleware = [
        Middleware(FrontDoor, *m.args, **{**m.kwargs, "lane": None})  # type: ignore[arg-type]
        if m.cls is door
        else m
        for m in saved
    ]
    assert app.user_middleware != saved
    try:
        stack = app.build_middleware_stack()
    finally:
        app.user_middleware = saved

    async def plain(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        scope["app"] = app
        await stack(scope, receive, send)

    return plain


# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# running servers built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("integration.api.test_hot_path")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LinkedWorld, str, str]]:
    tmp: Path = tmp_path_factory.mktemp("lane")
    with running_platform(f"sqlite:///{tmp / 'l.db'}", tmp) as live, linked_world(live) as world:
        plain = ThreadedUvicorn(_without_lane(live.app)).start()
        try:
            yield world, live.url, plain.url
        finally:
            plain.stop()


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    """Status, headers and body, with what differs on every call (ids, dates) blanked."""
    origin = f"{response.request.url.scheme}://{response.request.url.netloc.decode()}"
    headers = [
        (k, v.replace(origin, ""))
        for k, v in response.headers.items()
        if k not in ("date", "content-length")
    ]
    if not response.content:
        return response.status_code, headers, None
    body = response.json()
    if isinstance(body.get("error"), dict):
        body["error"]["fbtrace_id"] = "…"
    if "message_id" in body:
        body["message_id"] = "…"
    return response.status_code, headers, body


def test_the_lane_answers_as_fastapi_does(servers: tuple[LinkedWorld, str, str]) -> None:
    world, lane_url, plain_url = servers
    business = world.business
    token = business["page_access_token"]
    user = world.live.create_user()
    psid = world.link(user, ["transactions"])
    with world.live.client() as http:  # opens the 24-hour window
        http.post(
            f"/api/v1/threads/{business['page_id']}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
            json={"text": "hi"},
        ).raise_for_status()
    auth = {"Authorization": f"Bearer {token}"}
    text = {"recipient": {"id": psid}, "message": {"text": "Số dư: 1.250.000 ₫"}}
    proof = appsecret_proof(business["app_secret"], token)
    transaction = {
        "transaction_id": "t-1",
        "amount": {"amount": "125000", "currency": "VND"},
        "booked_at": "2026-11-29T08:15:00+07:00",
    }
    balance = {
        "psid": psid,
        "account_id": "acc-1",
        "available": {"amount": "1250000", "currency": "VND"},
        "current": {"amount": "1300000", "currency": "VND"},
        "as_of": "2026-11-29T09:30:00+07:00",
    }
    calls: list[tuple[str, dict[str, Any]]] = [
        ("/v15.0/me/messages", {"json": text, "headers": auth}),
        ("/me/messages", {"json": text, "params": {"access_token": token}}),
        (f"/v2.6/{business['page_id']}/messages", {"json": text, "headers": auth}),
        (
            "/v2.12/me/messages",
            {"data": {k: json.dumps(v) for k, v in text.items()}, "headers": auth},
        ),
        ("/me/messages", {"json": {k: json.dumps(v) for k, v in text.items()}, "headers": auth}),
        (
            "/me/messages",
            {"json": text, "params": {"access_token": token, "appsecret_proof": proof}},
        ),
        (
            "/me/messages",
            {"json": text, "params": {"access_token": token, "appsecret_proof": "00"}},
        ),
        ("/me/messages", {"json": {**text, "sender_action": "typing_on"}, "headers": auth}),
        (
            "/me/messages",
            {"json": {"recipient": {"id": psid}, "sender_action": "typing_on"}, "headers": auth},
        ),
        (
            "/me/messages",
            {"json": {"recipient": {"id": psid}, "sender_action": "mark_seen"}, "headers": auth},
        ),
        (
            "/me/messages",
            {"json": {"recipient": {"id": "1"}, "message": {"text": "x"}}, "headers": auth},
        ),
        ("/me/messages", {"json": {**text, "messaging_type": "MESSAGE_TAG"}, "headers": auth}),
        ("/me/messages", {"json": text}),
        ("/me/messages", {"json": text, "headers": {"Authorization": "Bearer nope"}}),
        ("/me/messages", {"content": b"{not json", "headers": auth}),
        (
            "/me/messages",
            {"content": b"[1]", "headers": {**auth, "Content-Type": "application/json"}},
        ),
        ("/me/messages?version=v3.0", {"json": text, "headers": auth}),
        ("/me/messages?version=nope", {"json": text, "headers": auth}),
        ("/v99.0/me/messages", {"json": text, "headers": auth}),  # no such Graph version
        ("/v99.0/me/transactions", {"json": {"psid": psid}, "headers": auth}),
        ("/123/messages", {"json": text, "headers": auth}),
        (
            "/v1/me/transactions",
            {
                "json": {"psid": psid, "transactions": [transaction]},
                "headers": {**auth, "Idempotency-Key": "k1"},
            },
        ),
        (
            "/me/transactions",
            {
                "json": {"psid": psid, "transactions": [transaction]},
                "headers": {**auth, "Idempotency-Key": "k1"},
            },
        ),
        (
            "/me/transactions",
            {"json": {"psid": psid, "transactions": [transaction]}, "headers": auth},
        ),
        ("/me/transactions", {"json": {"psid": psid, "transactions": []}, "headers": auth}),
        ("/me/balances", {"json": {"psid": psid, "account_id": "a"}, "headers": auth}),
        ("/me/balances", {"json": balance, "headers": auth}),  # not within consent: 403
        ("/v19.0/me/fraud_alerts", {"json": {"psid": psid}, "headers": auth}),
    ]
    with httpx.Client(base_url=lane_url) as lane, httpx.Client(base_url=plain_url) as plain:
        for path, kwargs in calls:
            # The lane goes second: a call that stores something (an idempotency key, a
            # transaction) is answered as the repeat it is by both.
            expected = _comparable(plain.post(path, **kwargs))
            repeat = _comparable(plain.post(path, **kwargs))
            got = _comparable(lane.post(path, **kwargs))
            assert got == repeat, (path, kwargs, expected)


def test_what_the_lane_does_not_take_still_reaches_fastapi(
    servers: tuple[LinkedWorld, str, str],
) -> None:
    world, lane_url, plain_url = servers
    auth = {"Authorization": f"Bearer {world.business['page_access_token']}"}
    with httpx.Client(base_url=lane_url) as lane, httpx.Client(base_url=plain_url) as plain:
        for method, path in [
            ("POST", "/vX/me/messages"),
            ("POST", "/v15.0/abc/messages"),
            ("POST", "/me/messages/"),
            ("GET", "/me/messages"),
            ("POST", "/123/transactions"),
            ("POST", "/v15.0/me/nothing"),
        ]:
            got = lane.request(method, path, headers=auth, json={})
            expected = plain.request(method, path, headers=auth, json={})
            assert _comparable(got) == _comparable(expected), (method, path)
