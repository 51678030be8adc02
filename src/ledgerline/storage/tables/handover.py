"""Handover: who owns each thread, and whether a page's built-in assistant is on.

A thread with no ``thread_control`` row belongs to the page's default owner (the assistant
while it is enabled, else the business's own app).
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

assistant_settings = sa.Table(
    "assistant_settings",
    metadata,
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

thread_control = sa.Table(
    "thread_control",
    metadata,
    sa.Column("thread_id", sa.BigInteger, sa.ForeignKey("threads.thread_id"), primary_key=True),
    sa.Column("page_id", sa.String(32), nullable=False),
    sa.Column("owner_app_id", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Index("ix_thread_control_page_owner", "page_id", "owner_app_id"),
)

# -- the agent inbox ---------------------------------------------------------------------

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("agent_id", sa.String(32), primary_key=True),
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False),
    sa.Column("login", sa.String(200), nullable=False),  # folded; unique per business
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(12), nullable=False),  # "agent" | "supervisor"
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("disabled_at", sa.BigInteger),
    sa.UniqueConstraint("page_id", "login", name="uq_agents_page_login"),
)

# One conversation per stay of a thread in the inbox: from the moment control passes to the
# Page Inbox until it is closed, handed back or taken by the business's app.
inbox_conversations = sa.Table(
    "inbox_conversations",
    metadata,
    sa.Column(
        "conversation_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("page_id", sa.String(32), nullable=False),
    sa.Column("thread_id", sa.BigInteger, sa.ForeignKey("threads.thread_id"), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # waiting | assigned | closed
    sa.Column("opened_at", sa.BigInteger, nullable=False),
    sa.Column("waiting_since", sa.BigInteger),  # oldest unanswered message of the person
    sa.Column("agent_id", sa.String(32)),
    sa.Column("assigned_at", sa.BigInteger),
    sa.Column("first_response_at", sa.BigInteger),
    sa.Column("closed_at", sa.BigInteger),
    sa.Column("close_reason", sa.String(16)),  # resolved | handed_back | taken
    sa.Column("handover_metadata", sa.String(1000)),
    sa.Column("requested_by", sa.String(32)),  # an app asked for the thread back
    sa.Column("satisfaction", sa.Integer),  # 1..5, the person's answer at close
    sa.Column("satisfaction_at", sa.BigInteger),
    sa.Index("ix_inbox_conversations_queue", "page_id", "status", "waiting_since"),
    sa.Index("ix_inbox_conversations_thread", "thread_id", "status"),
)

inbox_notes = sa.Table(
    "inbox_notes",
    metadata,
    sa.Column(
        "note_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column(
        "conversation_id",
        sa.BigInteger,
        sa.ForeignKey("inbox_conversations.conversation_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("agent_id", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

canned_replies = sa.Table(
    "canned_replies",
    metadata,
    sa.Column(
        "reply_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column(
        "page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False, index=True
    ),
    sa.Column("title", sa.String(60), nullable=False),
    sa.Column("text", sa.String(2000), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)
