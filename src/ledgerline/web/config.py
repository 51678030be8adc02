"""What the web app needs from the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import httpx
from starlette.requests import HTTPConnection

from ledgerline.customer_service.inbox import InboxService
from ledgerline.domain.clock import Clock
from ledgerline.fraud.online.scoring import FraudEngine
from ledgerline.identity.service import Identity
from ledgerline.privacy.centre import PrivacyCentre
from ledgerline.storage.database import Database
from ledgerline.web.reveals import Reveals


@dataclass
class WebConfig:
    db: Database
    clock: Clock
    secret_key: bytes
    identity: Identity
    public_url: str
    allow_insecure_urls: bool
    webhook_transport: httpx.BaseTransport | None = None
    reveals: Reveals = field(default_factory=Reveals)
    privacy: PrivacyCentre | None = None  # the privacy centre's vault and linking hooks
    inbox: InboxService | None = None  # the agent inbox (``/inbox``)
    fraud: FraudEngine | None = None  # the fraud model (console: alert policy)
    # Called once a page access token is rotated: the API forgets the tokens it cached.
    page_tokens_revoked: Callable[[], None] = lambda: None

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def web_config(conn: HTTPConnection) -> WebConfig:
    return cast("WebConfig", conn.app.state.web)
