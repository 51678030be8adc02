"""fraud alerts that stay answerable: expiry, how and by which message they were answered,
typed answers awaiting confirmation; per-day outcome counts that outlive an unlink

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fraud_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("answered_via", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("answer_mid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pending_verdict", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("confirm_mid", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_fraud_alerts_person_status", ["user_id", "status"], unique=False)
    # Alerts asked before: answerable for 7 days from when they were asked, as new ones.
    op.execute("UPDATE fraud_alerts SET expires_at = created_at + 604800000")
    op.create_table(
        "fraud_outcome_counts",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("series", sa.String(length=12), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", "day", "series", name=op.f("pk_fraud_outcome_counts")),
    )


def downgrade() -> None:
    op.drop_table("fraud_outcome_counts")
    with op.batch_alter_table("fraud_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_fraud_alerts_person_status")
        batch_op.drop_column("confirm_mid")
        batch_op.drop_column("pending_verdict")
        batch_op.drop_column("answer_mid")
        batch_op.drop_column("answered_via")
        batch_op.drop_column("expires_at")
