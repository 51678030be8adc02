"""The audit log: append-only, hash-chained entries and the single chain-head row.

Entries hold ids, kinds, purposes and outcomes, never financial values, so erasing a
person's data leaves the chain intact. ``audit_head`` has one row (id 1) that appenders lock
(``SELECT ... FOR UPDATE``) so the chain stays linear with concurrent writers; it also
marks where the keyed chain begins (``keyed_from``).
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("page_id", sa.String(32)),
    sa.Column("user_id", sa.String(32)),
    sa.Column("purpose", sa.String(24)),
    sa.Column("record_kind", sa.String(24)),
    sa.Column("record_ids", sa.Text, nullable=False),  # JSON list of ids
    sa.Column("detail", sa.Text, nullable=False),  # JSON object of ids/counts/codes
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_user", "user_id", "seq"),
)

audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    # The first entry chained with the audit key (HMAC); those before are legacy (unkeyed
    # SHA-256). NULL counts as 1: every entry keyed.
    sa.Column("keyed_from", sa.BigInteger),
)
