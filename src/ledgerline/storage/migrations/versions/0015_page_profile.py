"""page profile: the Messenger Profile a bank sets (get started, greeting, menu, ...)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_profile",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_page_profile_page_id_businesses")
        ),
        sa.PrimaryKeyConstraint("page_id", "field", name=op.f("pk_page_profile")),
    )


def downgrade() -> None:
    op.drop_table("page_profile")
