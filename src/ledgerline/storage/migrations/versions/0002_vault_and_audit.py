"""the financial-data vault and the audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The chain starts empty: head at seq 0 with the genesis hash.
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "entry_hash": GENESIS_HASH}])

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("purpose", sa.String(length=24), nullable=True),
        sa.Column("record_kind", sa.String(length=24), nullable=True),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_user", ["user_id", "seq"], unique=False)

    op.create_table(
        "vault_keys",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("rewrapped_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("page_id", "user_id", name=op.f("pk_vault_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_vault_keys_key_id")),
    )
    with op.batch_alter_table("vault_keys", schema=None) as batch_op:
        batch_op.create_index("ix_vault_keys_user", ["user_id"], unique=False)

    op.create_table(
        "vault_records",
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("ref_hash", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_vault_records")),
        sa.UniqueConstraint("page_id", "user_id", "kind", "ref_hash", name="uq_vault_records_ref"),
    )
    with op.batch_alter_table("vault_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vault_records_owner", ["user_id", "page_id", "kind", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_vault_records_retention", ["page_id", "occurred_at"], unique=False
        )

    op.create_table(
        "vault_settings",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("retention_days", sa.Integer(), server_default="400", nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_vault_settings")),
    )


def downgrade() -> None:
    op.drop_table("vault_settings")
    with op.batch_alter_table("vault_records", schema=None) as batch_op:
        batch_op.drop_index("ix_vault_records_retention")
        batch_op.drop_index("ix_vault_records_owner")
    op.drop_table("vault_records")
    with op.batch_alter_table("vault_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_vault_keys_user")
    op.drop_table("vault_keys")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_user")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
