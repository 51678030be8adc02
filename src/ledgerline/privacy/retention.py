"""Retention: records older than each business's retention period are purged (audited), so
are the customer-service conversations that ended longer ago than that (``service_records``),
webhook payloads and delivery-log entries past their time are erased (``webhook_records``,
audited), Idempotency-Keys older than 24 h are forgotten, and so are the fraud engine's
states of cards idle for more than 30 days. ``workers.retention`` runs it periodically."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from ledgerline.audit import Actor
from ledgerline.domain.records import VaultPort
from ledgerline.privacy import service_records, webhook_records
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import fraud as fraud_store, idempotency

log = structlog.get_logger(__name__)

IDEMPOTENCY_MS = 24 * 3600 * 1000
IDLE_CARD_MS = 31 * 24 * 3600 * 1000  # the card windows are 30 days


@dataclass(frozen=True, slots=True)
class RetentionReport:
    records_deleted: int
    idempotency_keys_deleted: int
    fraud_card_states_deleted: int = 0
    service_conversations_deleted: int = 0
    webhooks: webhook_records.WebhookPurge = field(default_factory=webhook_records.WebhookPurge)


def do_purge(uow: UnitOfWork, *, vault: VaultPort[UnitOfWork], now: int) -> RetentionReport:
    actor = Actor.component("retention")
    results = vault.purge_expired(uow, actor=actor)
    keys = idempotency.purge_before(uow.conn, now - IDEMPOTENCY_MS)
    cards = fraud_store.purge_idle_cards(uow.conn, now - IDLE_CARD_MS)
    conversations = service_records.purge_expired_txn(uow, actor=actor, now=now)
    webhooks = webhook_records.purge_expired_txn(uow, actor=actor, now=now)
    return RetentionReport(
        sum(r.records_deleted for r in results), keys, cards, conversations, webhooks
    )
