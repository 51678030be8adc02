"""Financial updates in chat: fraud alerts awaiting an answer, and each person's preferences."""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

fraud_alerts = sa.Table(
    "fraud_alerts",
    metadata,
    sa.Column("alert_id", sa.String(40), primary_key=True),
    sa.Column("page_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("transaction_ref", sa.String(128), nullable=False),  # the bank's transaction_id
    sa.Column("source", sa.String(8), nullable=False),  # bank | score
    sa.Column("score", sa.Float),
    sa.Column("status", sa.String(12), nullable=False),  # open | answered
    sa.Column("verdict", sa.String(8)),  # genuine | fraud
    sa.Column("mid", sa.String(64)),  # the alert's chat message
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("answered_at", sa.BigInteger),
    sa.UniqueConstraint("page_id", "user_id", "transaction_ref", name="uq_fraud_alerts_tx"),
)

notify_preferences = sa.Table(
    "notify_preferences",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(32), primary_key=True),
    sa.Column("preferences", sa.Text, nullable=False),  # JSON, see ingest.preferences
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

notify_deferred = sa.Table(
    "notify_deferred",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("page_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("record_id", sa.String(40), nullable=False),  # the source record in the vault
    sa.Column("mode", sa.String(8), nullable=False),  # quiet | digest
    sa.Column("due_at", sa.BigInteger, nullable=False),
    sa.Index("ix_notify_deferred_due", "due_at"),
    sa.Index("ix_notify_deferred_thread", "page_id", "user_id", "seq"),
)
