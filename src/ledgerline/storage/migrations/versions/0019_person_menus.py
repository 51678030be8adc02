"""person menus: a persistent menu for one person (/me/custom_user_settings)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_menus",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("psid", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_person_menus_page_id_businesses")
        ),
        sa.PrimaryKeyConstraint("page_id", "psid", name=op.f("pk_person_menus")),
    )


def downgrade() -> None:
    op.drop_table("person_menus")
