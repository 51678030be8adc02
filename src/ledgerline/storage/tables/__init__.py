"""All tables, on one MetaData; one module per area."""

from ledgerline.storage.tables._metadata import metadata
from ledgerline.storage.tables.attachments import attachments
from ledgerline.storage.tables.audit import audit_head, audit_log
from ledgerline.storage.tables.core import (
    business_blocks,
    businesses,
    messages,
    page_tokens,
    threads,
    user_tokens,
    users,
    webhook_attempts,
    webhook_events,
)
from ledgerline.storage.tables.fraud import (
    fraud_card_state,
    fraud_scores,
    fraud_settings,
    fraud_terminal_state,
)
from ledgerline.storage.tables.handover import (
    agents,
    assistant_settings,
    canned_replies,
    inbox_conversations,
    inbox_notes,
    thread_control,
)
from ledgerline.storage.tables.identity import login_throttle, user_credentials, web_sessions
from ledgerline.storage.tables.ingest import idempotency_keys
from ledgerline.storage.tables.linking import link_consents, link_tokens
from ledgerline.storage.tables.page_profile import page_profile, person_menus
from ledgerline.storage.tables.personas import personas
from ledgerline.storage.tables.push import push_subscriptions
from ledgerline.storage.tables.updates import (
    fraud_alerts,
    fraud_outcome_counts,
    notify_deferred,
    notify_preferences,
)
from ledgerline.storage.tables.vault import vault_keys, vault_records, vault_settings

__all__ = [
    "agents",
    "assistant_settings",
    "attachments",
    "audit_head",
    "audit_log",
    "business_blocks",
    "businesses",
    "canned_replies",
    "fraud_alerts",
    "fraud_card_state",
    "fraud_outcome_counts",
    "fraud_scores",
    "fraud_settings",
    "fraud_terminal_state",
    "idempotency_keys",
    "inbox_conversations",
    "inbox_notes",
    "link_consents",
    "link_tokens",
    "login_throttle",
    "messages",
    "metadata",
    "notify_deferred",
    "notify_preferences",
    "page_profile",
    "page_tokens",
    "person_menus",
    "personas",
    "push_subscriptions",
    "thread_control",
    "threads",
    "user_credentials",
    "user_tokens",
    "users",
    "vault_keys",
    "vault_records",
    "vault_settings",
    "web_sessions",
    "webhook_attempts",
    "webhook_events",
]
