"""handover and the agent inbox: thread owners, the assistant switch, agents, conversations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("disabled_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_agents_page_id_businesses")
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agents")),
        sa.UniqueConstraint("page_id", "login", name="uq_agents_page_login"),
    )
    op.create_table(
        "assistant_settings",
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["businesses.page_id"],
            name=op.f("fk_assistant_settings_page_id_businesses"),
        ),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_assistant_settings")),
    )
    op.create_table(
        "canned_replies",
        sa.Column(
            "reply_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"], ["businesses.page_id"], name=op.f("fk_canned_replies_page_id_businesses")
        ),
        sa.PrimaryKeyConstraint("reply_id", name=op.f("pk_canned_replies")),
    )
    op.create_index(op.f("ix_canned_replies_page_id"), "canned_replies", ["page_id"], unique=False)
    op.create_table(
        "inbox_conversations",
        sa.Column(
            "conversation_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("waiting_since", sa.BigInteger(), nullable=True),
        sa.Column("agent_id", sa.String(length=32), nullable=True),
        sa.Column("assigned_at", sa.BigInteger(), nullable=True),
        sa.Column("first_response_at", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=True),
        sa.Column("handover_metadata", sa.String(length=1000), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("satisfaction_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.thread_id"],
            name=op.f("fk_inbox_conversations_thread_id_threads"),
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_inbox_conversations")),
    )
    op.create_index(
        "ix_inbox_conversations_queue",
        "inbox_conversations",
        ["page_id", "status", "waiting_since"],
        unique=False,
    )
    op.create_index(
        "ix_inbox_conversations_thread",
        "inbox_conversations",
        ["thread_id", "status"],
        unique=False,
    )
    op.create_table(
        "thread_control",
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("page_id", sa.String(length=32), nullable=False),
        sa.Column("owner_app_id", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.thread_id"], name=op.f("fk_thread_control_thread_id_threads")
        ),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_thread_control")),
    )
    op.create_index(
        "ix_thread_control_page_owner", "thread_control", ["page_id", "owner_app_id"], unique=False
    )
    op.create_table(
        "inbox_notes",
        sa.Column(
            "note_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["inbox_conversations.conversation_id"],
            name=op.f("fk_inbox_notes_conversation_id_inbox_conversations"),
        ),
        sa.PrimaryKeyConstraint("note_id", name=op.f("pk_inbox_notes")),
    )
    op.create_index(
        op.f("ix_inbox_notes_conversation_id"), "inbox_notes", ["conversation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_inbox_notes_conversation_id"), table_name="inbox_notes")
    op.drop_table("inbox_notes")
    op.drop_index("ix_thread_control_page_owner", table_name="thread_control")
    op.drop_table("thread_control")
    op.drop_index("ix_inbox_conversations_thread", table_name="inbox_conversations")
    op.drop_index("ix_inbox_conversations_queue", table_name="inbox_conversations")
    op.drop_table("inbox_conversations")
    op.drop_index(op.f("ix_canned_replies_page_id"), table_name="canned_replies")
    op.drop_table("canned_replies")
    op.drop_table("assistant_settings")
    op.drop_table("agents")
