"""A bank stub, on loopback or in process, written the way a bank integrates Messenger account linking:
``/authorize`` looks up the PSID behind ``account_linking_token`` with its page token, then
sends the browser back to ``redirect_uri`` with (or, when cancelling, without)
``&authorization_code=``; ``/webhook`` records the signed webhook events."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.receiver import WebhookReceiver
from tests.support.server import ThreadedUvicorn


@dataclass
class BankStub:
    platform_url: str
    page_access_token: str = ""
    mode: str = "link"  # link | cancel
    receiver: WebhookReceiver = field(default_factory=WebhookReceiver)
    lookups: list[dict[str, Any]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # How the bank reaches the platform: the network (None) or in process.
    transport: httpx.AsyncBaseTransport | None = None

    def asgi(self) -> Starlette:
        async def authorize(request: Request) -> Response:
            token = request.query_params.get("account_linking_token", "")
            redirect_uri = request.query_params.get("redirect_uri", "")
            async with httpx.AsyncClient(
                base_url=self.platform_url, timeout=10, transport=self.transport
            ) as client:
                answer = await client.get(
                    "/v15.0/me",
                    params={"fields": "recipient", "account_linking_token": token},
                    headers={"Authorization": f"Bearer {self.page_access_token}"},
                )
            with self.lock:
                self.lookups.append({"status": answer.status_code, **answer.json()})
            if answer.status_code != 200:
                return PlainTextResponse("lookup failed", status_code=400)
            if self.mode == "cancel":
                return RedirectResponse(redirect_uri, status_code=302)
            code = "code-" + secrets.token_urlsafe(12)
            with self.lock:
                self.codes.append(code)
            return RedirectResponse(f"{redirect_uri}&authorization_code={code}", status_code=302)

        hooks = self.receiver.asgi()
        return Starlette(routes=[*hooks.routes, Route("/authorize", authorize)])


class BankSite:
    """Where a bank stub is served: its URLs (``url`` is the base)."""

    def __init__(self, bank: BankStub, url: str) -> None:
        self.bank = bank
        self.url = url

    @property
    def authorize_url(self) -> str:
        return self.url + "/authorize"

    @property
    def webhook_url(self) -> str:
        return self.url + "/webhook"


class RunningBank:
    """A bank stub on a real uvicorn on loopback (``with RunningBank(stub) as site``)."""

    def __init__(self, bank: BankStub) -> None:
        self.bank = bank
        self.server = ThreadedUvicorn(bank.asgi())

    def __enter__(self) -> BankSite:
        self.server.start()
        return BankSite(self.bank, self.server.url)

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
