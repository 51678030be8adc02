"""Messenger's webhook subscription handshake, run when a business registers its URL."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ledgerline.delivery.egress import guarded_transport
from ledgerline.delivery.urls import UrlNotAllowed, check_url


def handshake(
    url: str,
    verify_token: str,
    *,
    allow_insecure: bool,
    challenge: str,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 10.0,
    on_error: Callable[[str], None] | None = None,
) -> None:
    """Messenger's subscription handshake: GET url?hub.mode=subscribe&hub.verify_token=…
    &hub.challenge=C must answer 200 with body C. Raises ``UrlNotAllowed`` otherwise.

    The request goes only to an address that was checked (``delivery.egress``), never
    follows a redirect, and never goes through a proxy from the environment."""
    check_url(url, allow_insecure=allow_insecure)
    if transport is None:
        transport = guarded_transport(allow_internal=allow_insecure)
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        ) as client:
            response = client.get(url, params=params)
    except httpx.HTTPError as exc:
        raise UrlNotAllowed(f"webhook handshake failed: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200 or response.text.strip() != challenge:
        raise UrlNotAllowed(
            f"webhook handshake failed: expected HTTP 200 echoing hub.challenge, got HTTP "
            f"{response.status_code}"
        )
