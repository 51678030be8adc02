"""financial updates in chat: fraud alerts and notification preferences

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_alerts",
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("transaction_ref", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=True),
        sa.Column("mid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("answered_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_fraud_alerts")),
        sa.UniqueConstraint(
            "page_id", "user_id", "transaction_ref", name=op.f("uq_fraud_alerts_tx")
        ),
    )
    op.create_table(
        "notify_preferences",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("preferences", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", "user_id", name=op.f("pk_notify_preferences")),
    )
    op.create_table(
        "notify_deferred",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_notify_deferred")),
    )
    with op.batch_alter_table("notify_deferred") as batch_op:
        batch_op.create_index("ix_notify_deferred_due", ["due_at"], unique=False)
        batch_op.create_index(
            "ix_notify_deferred_thread", ["page_id", "user_id", "seq"], unique=False
        )


def downgrade() -> None:
    op.drop_table("notify_deferred")
    op.drop_table("notify_preferences")
    op.drop_table("fraud_alerts")
