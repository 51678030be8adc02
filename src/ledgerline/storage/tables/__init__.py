"""All tables, on one MetaData; one module per area."""

from ledgerline.storage.tables._metadata import metadata
from ledgerline.storage.tables.core import (
    businesses,
    messages,
    page_tokens,
    threads,
    user_tokens,
    users,
    webhook_attempts,
    webhook_events,
)

__all__ = [
    "businesses",
    "messages",
    "metadata",
    "page_tokens",
    "threads",
    "user_tokens",
    "users",
    "webhook_attempts",
    "webhook_events",
]
