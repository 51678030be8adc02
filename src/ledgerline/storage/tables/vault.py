"""The financial-data vault: per-(person, business) data keys, encrypted records, settings.

Only what indexing needs is in clear: ids, the record kind, times and a keyed hash of the
bank's reference (e.g. ``transaction_id``) for deduplication. Every financial value is inside
``ciphertext`` (AES-256-GCM under the data key of that person and business).
Times are epoch milliseconds, as in the core tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

# One data key per (business, person), wrapped by the master key. Deleting the row is the
# crypto-shredding step of erasure: without it, no copy of the records can be decrypted.
vault_keys = sa.Table(
    "vault_keys",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(32), primary_key=True),
    sa.Column("key_id", sa.String(40), nullable=False, unique=True),
    sa.Column("master_key_id", sa.String(32), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),  # nonce || AES-GCM(master, dek)
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("rewrapped_at", sa.BigInteger),
    sa.Index("ix_vault_keys_user", "user_id"),
)

vault_records = sa.Table(
    "vault_records",
    metadata,
    sa.Column("record_id", sa.String(40), primary_key=True),
    sa.Column("page_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("key_id", sa.String(40), nullable=False),
    # HMAC of the bank's reference under a key derived from the data key: dedup without
    # keeping the raw id, and it disappears with the key on erasure.
    sa.Column("ref_hash", sa.String(64)),
    sa.Column("occurred_at", sa.BigInteger, nullable=False),  # booked_at / as_of / created
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),  # nonce || AES-GCM(dek, payload)
    sa.UniqueConstraint("page_id", "user_id", "kind", "ref_hash", name="uq_vault_records_ref"),
    sa.Index("ix_vault_records_owner", "user_id", "page_id", "kind", "occurred_at"),
    sa.Index("ix_vault_records_retention", "page_id", "occurred_at"),
)

# Per-business vault settings (the businesses table belongs to the core).
vault_settings = sa.Table(
    "vault_settings",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("retention_days", sa.Integer, nullable=False, server_default="400"),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
