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
    # bank | score: an alert asking "Was it you?"; person: the person's own "Not me" report
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("status", sa.String(12), nullable=False),  # open | answered
    sa.Column("verdict", sa.String(8)),  # genuine | fraud
    sa.Column("mid", sa.String(64)),  # the alert's chat message (a report: the payment's)
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("answered_at", sa.BigInteger),
    sa.Column("expires_at", sa.BigInteger),  # answerable until then (null: created_at + TTL)
    sa.Column("answered_via", sa.String(12)),  # button | quick_reply | typed | report
    sa.Column("answer_mid", sa.String(64)),  # the person's message that answered it
    sa.Column("pending_verdict", sa.String(8)),  # a typed answer awaiting confirmation
    sa.Column("confirm_mid", sa.String(64)),  # the confirmation question asked about it
    sa.UniqueConstraint("page_id", "user_id", "transaction_ref", name="uq_fraud_alerts_tx"),
    # The chat list's badge: a person's alerts waiting for an answer, across businesses.
    sa.Index("ix_fraud_alerts_person_status", "user_id", "status"),
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

# The console's chart keeps counting the alerts and reports of people who unlinked: their
# rows are erased with their data, and only these per-day counts remain (no person, no
# transaction, no amount).
fraud_outcome_counts = sa.Table(
    "fraud_outcome_counts",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("day", sa.BigInteger, primary_key=True),  # start of the UTC day, epoch ms
    sa.Column("series", sa.String(12), primary_key=True),  # fraud|genuine|unanswered|reported
    sa.Column("count", sa.Integer, nullable=False),
)
