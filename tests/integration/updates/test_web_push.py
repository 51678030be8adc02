"""Web Push through the public APIs, to a local push service (loopback) that checks the
VAPID signature (RFC 8292) and decrypts what it receives as the browser would (RFC 8291,
``aes128gcm``): only the kinds of updates the person chose, gone subscriptions forgotten,
bad subscriptions refused."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.integration.updates.test_updates import ALL, Person, tx
from tests.support.inprocess import InProcessServer, in_process_server
from tests.support.linking import LinkedWorld, linked_world


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Browser:
    """A browser's push subscription keys: it alone can decrypt what is pushed to it."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def keys(self) -> dict[str, str]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        data: dict[str, Any] = json.loads(plain)
        return data


@dataclass
class PushService:
    """A push service on loopback: records each push; answers ``status`` (201 by default)."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 201
    lock: threading.Condition = field(default_factory=threading.Condition)

    def asgi(self) -> Starlette:
        async def push(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append((dict(request.headers), body))
                self.lock.notify_all()
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/push/{token}", push, methods=["POST"])])

    def wait(self, n: int) -> list[tuple[dict[str, str], bytes]]:
        """What was pushed, once ``n`` pushes arrived (or after 15 s)."""
        with self.lock:
            self.lock.wait_for(lambda: len(self.received) >= n, 15)
            return list(self.received)


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessServer]:
    with in_process_server(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def world(live: InProcessServer) -> Iterator[LinkedWorld]:
    with linked_world(live) as linked:
        yield linked


@pytest.fixture
def service(live: InProcessServer) -> tuple[PushService, str]:
    """A push service served beside the platform."""
    svc = PushService()
    return svc, live.serve(svc.asgi(), "push")


def test_an_alert_is_pushed_encrypted_signed_and_only_as_chosen(
    world: LinkedWorld, service: tuple[PushService, str]
) -> None:
    svc, url = service
    user = world.live.create_user(locale="vi")
    p = Person(world, user, world.link(user, ALL))
    key = p.api("GET", "/push/key").json()["public_key"]
    browser = Browser()
    endpoint = f"{url}/push/browser-1"
    made = p.api(
        "POST",
        "/push/subscriptions",
        json={"endpoint": endpoint, "keys": browser.keys(), "topics": ["alerts"]},
    )
    assert made.status_code == 201, made.text
    assert made.json()["topics"] == ["alerts"]
    listed = p.api("GET", "/push/subscriptions").json()["data"]
    assert [(s["endpoint"], s["topics"]) for s in listed] == [(endpoint, ["alerts"])]

    p.bank("transactions", {"transactions": [tx("p-1", "125000")]})  # a payment: not chosen
    p.bank("fraud_alerts", {"transaction_id": "p-1", "reason": "Far away"})
    (headers, body), *more = svc.wait(1)
    time.sleep(0.5)
    assert more == []  # the payment was not pushed
    assert len(svc.received) == 1
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(7 * 24 * 3600)
    assert headers["urgency"] == "high"
    # Signed with the deployment's VAPID key, for this push service's origin.
    assert Vapid02.verify(headers["authorization"])
    token = headers["authorization"].split("t=")[1].split(",")[0]
    assert headers["authorization"].endswith(f"k={key}")
    middle = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(middle + "=" * (-len(middle) % 4)))
    assert claims["aud"] == url
    assert claims["exp"] > time.time()
    # Only the browser can read it.
    note = browser.decrypt(body)
    assert note["title"] == "⚠ Ngân hàng Demo"
    assert note["body"].startswith("125.000\xa0₫ · Highlands Coffee Tràng Tiền\n")
    assert "Có phải bạn đã thực hiện giao dịch này không?" in note["body"]
    assert note["topic"] == "alerts"
    assert note["page_id"] == p.page_id
    assert b"Highlands" not in body


def test_a_gone_subscription_is_forgotten_and_bad_ones_are_refused(
    live: InProcessServer, world: LinkedWorld, service: tuple[PushService, str]
) -> None:
    svc, url = service
    svc.status = 410
    user = world.live.create_user(locale="en")
    p = Person(world, user, world.link(user, ALL))
    browser = Browser()
    endpoint = f"{url}/push/gone"
    assert (
        p.api(
            "POST", "/push/subscriptions", json={"endpoint": endpoint, "keys": browser.keys()}
        ).status_code
        == 201
    )
    p.bank("transactions", {"transactions": [tx("p-2", "99000")]})  # payments: a default
    svc.wait(1)
    live.until(
        lambda: p.api("GET", "/push/subscriptions").json()["data"] == [],
        "the gone subscription to be forgotten",
        10,
    )

    bad_keys = {"p256dh": b64url(b"\x04" + b"1" * 64), "auth": b64url(b"x" * 16)}
    for body, problem in (
        ({"endpoint": endpoint, "keys": bad_keys}, "keys"),
        ({"endpoint": "ftp://push.example/x", "keys": browser.keys()}, "endpoint"),
        ({"endpoint": endpoint, "keys": browser.keys(), "topics": ["spam"]}, "topics"),
    ):
        refused = p.api("POST", "/push/subscriptions", json=body)
        assert refused.status_code == 400, refused.text
        assert problem in refused.json()["error"]["message"]
    gone = p.api("DELETE", "/push/subscriptions", params={"endpoint": endpoint})
    assert gone.status_code == 404
