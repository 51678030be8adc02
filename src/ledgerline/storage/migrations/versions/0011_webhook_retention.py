"""webhook outbox retention: when (and why) an event's payload was erased; index by age

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("erased_reason", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_webhook_events_age", ["created_at", "erased_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_age")
        batch_op.drop_column("erased_reason")
        batch_op.drop_column("erased_at")
