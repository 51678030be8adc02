"""Web Push: the browser subscriptions a person allowed, with the kinds of updates each
one wants (``delivery.webpush``)."""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

push_subscriptions = sa.Table(
    "push_subscriptions",
    metadata,
    sa.Column(
        "subscription_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("endpoint", sa.String(2000), nullable=False),  # the push service's URL
    sa.Column("endpoint_hash", sa.String(64), nullable=False),  # sha256 hex, for uniqueness
    sa.Column("p256dh", sa.String(128), nullable=False),  # the browser's public key
    sa.Column("auth", sa.String(64), nullable=False),  # the browser's auth secret
    sa.Column("topics", sa.String(100), nullable=False),  # "alerts,payments,…"
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("endpoint_hash", name="uq_push_subscriptions_endpoint"),
    sa.Index("ix_push_subscriptions_user", "user_id"),
)
