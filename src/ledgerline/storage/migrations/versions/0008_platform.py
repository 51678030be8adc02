"""platform: blocks, deleted people, webhook batch size, outbox leases

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_blocks",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("blocked_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["businesses.page_id"],
            name=op.f("fk_business_blocks_page_id_businesses"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_business_blocks_user_id_users")
        ),
        sa.PrimaryKeyConstraint("page_id", "user_id", name=op.f("pk_business_blocks")),
    )
    op.create_index("ix_business_blocks_user", "business_blocks", ["user_id"], unique=False)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deleted_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("businesses") as batch:
        batch.add_column(
            sa.Column("webhook_batch_max", sa.Integer(), server_default="20", nullable=False)
        )
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
    with op.batch_alter_table("businesses") as batch:
        batch.drop_column("webhook_batch_max")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deleted_at")
    op.drop_index("ix_business_blocks_user", table_name="business_blocks")
    op.drop_table("business_blocks")
