"""What the HTTP layer needs from the composition root (built by ``bootstrap``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledgerline.api.limits import RateLimits
from ledgerline.delivery.fanout import ClusterFanout
from ledgerline.delivery.live import LiveHub
from ledgerline.delivery.webhooks import WebhookDispatcher
from ledgerline.domain.clock import Clock
from ledgerline.storage.database import Database


@dataclass
class AppContext:
    db: Database
    clock: Clock
    secret_key: bytes
    hub: LiveHub
    dispatcher: WebhookDispatcher
    allow_insecure_urls: bool
    public_url: str
    run_dispatcher: bool = True
    limits: RateLimits = field(default_factory=RateLimits)
    fanout: ClusterFanout | None = None  # set when scaled out over a broker
    extras: dict[str, Any] = field(default_factory=dict)
