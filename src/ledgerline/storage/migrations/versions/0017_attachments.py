"""attachments: files the platform re-hosts (uploads, fetched URLs, people's photos)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("attachment_id", sa.String(length=32), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("blob_key", sa.String(length=64), nullable=False),
        sa.Column("reusable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_attachments_page_id_businesses")
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_attachments")),
    )
    op.create_index("ix_attachments_page_id", "attachments", ["page_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_attachments_page_id", table_name="attachments")
    op.drop_table("attachments")
