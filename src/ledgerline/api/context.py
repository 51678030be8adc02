"""What the HTTP layer needs from the composition root (built by ``bootstrap``): typed, so a
reader sees every dependency of an endpoint, and nothing is looked up by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ledgerline.api.limits import RateLimits
from ledgerline.api.tokens import TokenCache
from ledgerline.chat.attachments import Attachments
from ledgerline.chat.private import MessageResolver
from ledgerline.chat.routing import Inbound
from ledgerline.delivery.live import Frame, LiveHub
from ledgerline.delivery.webpush import PushSender
from ledgerline.domain.clock import Clock
from ledgerline.ingest.actions import Ingestor
from ledgerline.linking.hooks import LinkingHooks
from ledgerline.logging import AccessLog
from ledgerline.privacy.centre import PrivacyCentre
from ledgerline.storage.database import Database
from ledgerline.telemetry.metrics import Metrics


@dataclass(frozen=True)
class MetricsAccess:
    """Who may scrape ``/metrics``: anyone (``open``, development), else the holder of
    ``token`` when set, else loopback clients only."""

    open: bool = False
    token: str | None = None


class Readiness(Protocol):
    """Whether this process can serve now, with each check's verdict (``/readyz``)."""

    draining: bool

    async def check(self) -> tuple[bool, dict[str, dict[str, Any]]]: ...


class Lifecycle(Protocol):
    """The process's long-running parts (workers, the broker): started and stopped by the
    app's lifespan."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ReceiptNotes(Protocol):
    """Where a stream notes the frames it delivered (delivery receipts)."""

    def note(self, user_id: str, frame: Frame) -> None: ...


@dataclass
class AppContext:
    db: Database
    clock: Clock
    secret_key: bytes
    hub: LiveHub
    allow_insecure_urls: bool
    public_url: str
    lifecycle: Lifecycle
    receipts: ReceiptNotes
    linking_hooks: LinkingHooks
    inbound: Inbound  # who else hears a person's message (chat.routing)
    ingestor: Ingestor
    messages: MessageResolver  # private messages' bodies, for the person
    privacy: PrivacyCentre
    readiness: Readiness
    attachments: Attachments  # re-hosted files (chat.attachments)
    limits: RateLimits = field(default_factory=RateLimits)
    metrics: Metrics = field(default_factory=lambda: Metrics(process=False))
    metrics_access: MetricsAccess = field(default_factory=MetricsAccess)
    access_log: AccessLog = field(default_factory=AccessLog)
    page_tokens: TokenCache = field(default_factory=TokenCache)
    user_tokens: TokenCache = field(default_factory=TokenCache)
    push: PushSender | None = None  # Web Push to people's browsers (delivery.webpush)
    # Production: HSTS on every answer, no /docs or /redoc (their pages load third-party
    # scripts); development serves them (api.headers, api.app).
    production: bool = False
