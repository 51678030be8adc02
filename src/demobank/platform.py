"""The bank's Ledgerline client: plain HTTPS calls to the public, Messenger-compatible API."""

from __future__ import annotations

from typing import Any

import httpx

GRAPH_VERSION = "v19.0"


class PlatformError(Exception):
    """An error answer from Ledgerline, in Messenger's shape."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        raw = body.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self.status = status
        self.code = int(error.get("code") or 0)
        self.subcode = int(error.get("error_subcode") or 0)
        self.message = str(error.get("message") or f"HTTP {status}")
        super().__init__(f"{status} {self.message}")

    @property
    def no_consent(self) -> bool:
        """The person did not grant the scope this data needs (or is not linked)."""
        return self.status == 403


class PlatformClient:
    """One page's client; ``base_url`` is where the bank reaches Ledgerline's API."""

    def __init__(
        self,
        base_url: str,
        page_access_token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {page_access_token}"},
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        response = await self._http.request(
            method, f"/{GRAPH_VERSION}{path}", json=json, params=params, headers=headers
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code >= 400:
            raise PlatformError(response.status_code, body)
        return body

    async def recipient_for(self, account_linking_token: str) -> str:
        """The PSID of the person behind an account-linking token (Messenger's lookup)."""
        body = await self._call(
            "GET",
            "/me",
            params={"fields": "recipient", "account_linking_token": account_linking_token},
        )
        return str(body["recipient"])

    async def locale_of(self, psid: str) -> str | None:
        """The person's language as Messenger's User Profile API gives it (``vi_VN``)."""
        body = await self._call("GET", f"/{psid}", params={"fields": "locale"})
        locale = body.get("locale")
        return locale if isinstance(locale, str) else None

    async def send(
        self,
        psid: str,
        message: dict[str, Any],
        *,
        messaging_type: str = "RESPONSE",
        tag: str | None = None,
    ) -> str:
        """Send API; returns the message id."""
        body: dict[str, Any] = {
            "recipient": {"id": psid},
            "messaging_type": messaging_type,
            "message": message,
        }
        if tag is not None:
            body["tag"] = tag
        answer = await self._call("POST", "/me/messages", json=body)
        return str(answer.get("message_id", ""))

    async def pass_thread_control(
        self, psid: str, target_app_id: str, *, metadata: str | None = None
    ) -> None:
        """Handover: give the thread to another app (e.g. the Page Inbox's agents)."""
        body: dict[str, Any] = {"recipient": {"id": psid}, "target_app_id": target_app_id}
        if metadata:
            body["metadata"] = metadata
        await self._call("POST", "/me/pass_thread_control", json=body)

    async def take_thread_control(self, psid: str, *, metadata: str | None = None) -> None:
        """Handover: the bank's app (the primary receiver) takes the thread back at once."""
        body: dict[str, Any] = {"recipient": {"id": psid}}
        if metadata:
            body["metadata"] = metadata
        await self._call("POST", "/me/take_thread_control", json=body)

    async def thread_owner(self, psid: str) -> str:
        """The app id that owns the person's thread now."""
        body = await self._call("GET", "/me/thread_owner", params={"recipient": psid})
        return str(body["data"][0]["thread_owner"]["app_id"])

    async def set_assistant(self, enabled: bool) -> None:
        """Turn Ledgerline's built-in assistant on or off for the page."""
        await self._call("POST", "/me/assistant", json={"enabled": enabled})

    async def sender_action(self, psid: str, action: str) -> None:
        await self._call(
            "POST", "/me/messages", json={"recipient": {"id": psid}, "sender_action": action}
        )

    async def share(
        self, kind: str, body: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Financial data: ``kind`` is balances, transactions, receipts, shipments or
        fraud_alerts (``POST /me/<kind>``)."""
        return await self._call("POST", f"/me/{kind}", json=body, idempotency_key=idempotency_key)
