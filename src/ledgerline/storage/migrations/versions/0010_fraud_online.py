"""online fraud scoring: card and terminal state, scored alerts as labels, business policy

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fraud_card_state",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("card_key", sa.String(length=32), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", "user_id", "card_key", name=op.f("pk_fraud_card_state")),
    )
    op.create_table(
        "fraud_terminal_state",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("terminal_key", sa.String(length=32), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", "terminal_key", name=op.f("pk_fraud_terminal_state")),
    )
    op.create_table(
        "fraud_scores",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("transaction_ref", sa.String(length=128), nullable=False),
        sa.Column("terminal_key", sa.String(length=32), nullable=True),
        sa.Column("terminal_seq", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("answered_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "page_id", "user_id", "transaction_ref", name=op.f("pk_fraud_scores")
        ),
    )
    op.create_table(
        "fraud_settings",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_fraud_settings")),
    )


def downgrade() -> None:
    op.drop_table("fraud_settings")
    op.drop_table("fraud_scores")
    op.drop_table("fraud_terminal_state")
    op.drop_table("fraud_card_state")
