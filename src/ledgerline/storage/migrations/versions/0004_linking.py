"""account linking and consent

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_consents",
        sa.Column(
            "consent_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("given_at", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("ended_by", sa.String(length=12), nullable=True),
        sa.Column("reminded_at", sa.BigInteger(), nullable=True),
        sa.Column("previous_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["businesses.page_id"],
            name=op.f("fk_link_consents_page_id_businesses"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_link_consents_user_id_users")
        ),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_link_consents")),
    )
    with op.batch_alter_table("link_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_link_consents_pair", ["page_id", "user_id", "status"], unique=False
        )
        batch_op.create_index("ix_link_consents_user", ["user_id", "consent_id"], unique=False)
        batch_op.create_index("ix_link_consents_due", ["status", "expires_at"], unique=False)

    op.create_table(
        "link_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("consent_id", sa.BigInteger(), nullable=False),
        sa.Column("psid", sa.String(length=32), nullable=False),
        sa.Column("binding_hash", sa.String(length=64), nullable=True),
        sa.Column("form_nonce_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["link_consents.consent_id"],
            name=op.f("fk_link_tokens_consent_id_link_consents"),
        ),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_link_tokens_page_id_businesses")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_link_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_link_tokens")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_link_tokens_state_hash")),
        sa.UniqueConstraint("form_nonce_hash", name=op.f("uq_link_tokens_form_nonce_hash")),
    )
    with op.batch_alter_table("link_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_link_tokens_expires", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_link_tokens_expires")
    op.drop_table("link_tokens")
    with op.batch_alter_table("link_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_link_consents_due")
        batch_op.drop_index("ix_link_consents_user")
        batch_op.drop_index("ix_link_consents_pair")
    op.drop_table("link_consents")
