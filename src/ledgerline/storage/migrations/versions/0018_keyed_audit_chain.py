"""audit: the chain is keyed (HMAC) from the next entry on; older entries stay legacy

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_head", sa.Column("keyed_from", sa.BigInteger(), nullable=True))
    # Entries already written were hashed without a key: they verify as legacy, and the
    # keyed chain starts with the next one (docs/architecture/audit.md).
    op.execute("UPDATE audit_head SET keyed_from = seq + 1")


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("keyed_from")
