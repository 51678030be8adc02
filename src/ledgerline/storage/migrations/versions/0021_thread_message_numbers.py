"""thread message numbers: each message's number in its thread (1, 2, 3, ... in commit order),
so a client refills after the last number it holds and can never skip one

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_seq", sa.BigInteger(), nullable=True))
    # The messages already stored, numbered in the order they were stored.
    op.execute(
        "UPDATE messages SET thread_seq = numbered.n FROM (SELECT seq, ROW_NUMBER() OVER "
        "(PARTITION BY thread_id ORDER BY seq) AS n FROM messages) AS numbered "
        "WHERE messages.seq = numbered.seq"
    )
    op.execute(
        "UPDATE threads SET last_seq = COALESCE((SELECT MAX(thread_seq) FROM messages "
        "WHERE messages.thread_id = threads.thread_id), 0)"
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("thread_seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index("ux_messages_thread_number", ["thread_id", "thread_seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ux_messages_thread_number")
        batch_op.drop_column("thread_seq")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_column("last_seq")
