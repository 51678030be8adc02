"""messaging core

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "businesses",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("verify_token", sa.String(length=500), nullable=True),
        sa.Column("account_link_url", sa.String(length=2000), nullable=True),
        sa.Column("secret_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("app_secret_hash", sa.String(length=64), nullable=False),
        sa.Column("webhook_batching", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_businesses")),
        sa.UniqueConstraint("app_id", name=op.f("uq_businesses_app_id")),
    )
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_businesses_name_folded"), ["name_folded"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    op.create_table(
        "page_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_page_tokens_page_id_businesses")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_page_tokens")),
    )
    with op.batch_alter_table("page_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_tokens_page_id"), ["page_id"], unique=False)

    op.create_table(
        "threads",
        sa.Column(
            "thread_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("psid", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_user_message_at", sa.BigInteger(), nullable=True),
        sa.Column("last_message_at", sa.BigInteger(), nullable=True),
        sa.Column("user_read_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("page_read_watermark", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("delivered_watermark", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_threads_page_id_businesses")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_threads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_threads")),
        sa.UniqueConstraint("page_id", "psid", name="uq_threads_page_psid"),
        sa.UniqueConstraint("page_id", "user_id", name="uq_threads_page_user"),
    )
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_index("ix_threads_user", ["user_id", "last_message_at"], unique=False)

    op.create_table(
        "user_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_user_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_tokens")),
    )
    with op.batch_alter_table("user_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("psid", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_webhook_events_page_id_businesses")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_webhook_events")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_events_page", ["page_id", "event_id"], unique=False)
        batch_op.create_index(
            "ix_webhook_events_pending", ["status", "page_id", "psid", "event_id"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("mid", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.thread_id"], name=op.f("fk_messages_thread_id_threads")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_messages")),
        sa.UniqueConstraint("mid", name=op.f("uq_messages_mid")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_thread_seq", ["thread_id", "seq"], unique=False)

    op.create_table(
        "webhook_attempts",
        sa.Column(
            "attempt_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.event_id"],
            name=op.f("fk_webhook_attempts_event_id_webhook_events"),
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_attempts_event_id"), ["event_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_attempts_event_id"))

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_thread_seq")

    op.drop_table("messages")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_pending")
        batch_op.drop_index("ix_webhook_events_page")

    op.drop_table("webhook_events")
    with op.batch_alter_table("user_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_tokens_user_id"))

    op.drop_table("user_tokens")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_index("ix_threads_user")

    op.drop_table("threads")
    with op.batch_alter_table("page_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_tokens_page_id"))

    op.drop_table("page_tokens")
    op.drop_table("users")
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_businesses_name_folded"))

    op.drop_table("businesses")
