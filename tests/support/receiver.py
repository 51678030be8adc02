"""A real webhook receiver on loopback, written the way Meta documents it: answer the
subscription handshake, verify X-Hub-Signature-256 over the raw body, record events."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.server import ThreadedUvicorn


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]
    payload: dict[str, Any]
    signature_ok: bool


@dataclass
class WebhookReceiver:
    app_secret: str = ""
    verify_token: str = "verify-me"
    deliveries: list[Delivery] = field(default_factory=list)
    # Called per POST; return a status code (default 200) — lets tests simulate failures.
    behaviour: Callable[[Delivery], int] | None = None
    delay_seconds: float = 0.0
    # Held while ``deliveries`` is read or added to; notified on each delivery.
    lock: threading.Condition = field(default_factory=threading.Condition)

    def asgi(self) -> Starlette:
        async def verify(request: Request) -> Response:
            params = request.query_params
            if (
                params.get("hub.mode") == "subscribe"
                and params.get("hub.verify_token") == self.verify_token
            ):
                return PlainTextResponse(params.get("hub.challenge", ""))
            return PlainTextResponse("forbidden", status_code=403)

        async def receive(request: Request) -> Response:
            import asyncio

            raw = await request.body()
            header = request.headers.get("x-hub-signature-256", "")
            expected = (
                "sha256=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()
            )
            delivery = Delivery(
                raw, dict(request.headers), json.loads(raw), hmac.compare_digest(expected, header)
            )
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            status = self.behaviour(delivery) if self.behaviour else 200
            if status == 200:
                with self.lock:
                    self.deliveries.append(delivery)
                    self.lock.notify_all()
            return PlainTextResponse("EVENT_RECEIVED", status_code=status)

        return Starlette(
            routes=[
                Route("/webhook", verify, methods=["GET"]),
                Route("/webhook", receive, methods=["POST"]),
            ]
        )

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                item
                for d in self.deliveries
                for entry in d.payload["entry"]
                for item in entry.get("messaging", [])
            ]

    def standby_events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                item
                for d in self.deliveries
                for entry in d.payload["entry"]
                for item in entry.get("standby", [])
            ]

    def wait_for_events(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        self.wait_until(lambda: len(self.events()) >= count, f"{count} webhook events", timeout)
        return self.events()

    def wait_for_standby(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        self.wait_until(
            lambda: len(self.standby_events()) >= count, f"{count} standby events", timeout
        )
        return self.standby_events()

    def wait_until(self, done: Callable[[], bool], what: str = "", timeout: float = 30.0) -> None:
        """Until ``done()``, asked again on each delivery (no polling interval)."""
        with self.lock:
            if not self.lock.wait_for(done, timeout):
                raise AssertionError(
                    f"expected {what or 'a condition on the deliveries'}, got "
                    f"{len(self.events())} events and "
                    f"{len(self.standby_events())} standby after {timeout} s"
                )


class RunningReceiver:
    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        self.server = ThreadedUvicorn(receiver.asgi())

    @property
    def url(self) -> str:
        return self.server.url + "/webhook"

    def __enter__(self) -> RunningReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
