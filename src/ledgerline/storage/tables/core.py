"""Messaging core: businesses (pages), people, threads, messages, the webhook outbox.

Times are epoch milliseconds (BigInteger): portable across SQLite and PostgreSQL and the
unit Messenger's wire format uses.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

businesses = sa.Table(
    "businesses",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("app_id", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_folded", sa.String(200), nullable=False, index=True),
    sa.Column("webhook_url", sa.String(2000)),
    sa.Column("verify_token", sa.String(500)),
    sa.Column("account_link_url", sa.String(2000)),
    # The app secret is never stored: it is derived from the platform's secret key and
    # this version number (rotation bumps it). Only its hash is kept, for audits.
    sa.Column("secret_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("app_secret_hash", sa.String(64), nullable=False),
    sa.Column("webhook_batching", sa.Boolean, nullable=False, server_default=sa.false()),
    # With batching on, at most this many events of one person go in one POST.
    sa.Column("webhook_batch_max", sa.Integer, nullable=False, server_default="20"),
    # Messenger's ``subscribed_fields``, comma-separated; NULL once the app is unsubscribed
    # (``DELETE /me/subscribed_apps``): no event is delivered then.
    sa.Column("subscribed_fields", sa.String(2000)),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

page_tokens = sa.Table(
    "page_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False, index=True
    ),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("revoked_at", sa.BigInteger),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    # Set when the person deleted their account: businesses can no longer reach them.
    sa.Column("deleted_at", sa.BigInteger),
)

user_tokens = sa.Table(
    "user_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.user_id"), nullable=False, index=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("revoked_at", sa.BigInteger),
)

threads = sa.Table(
    "threads",
    metadata,
    sa.Column(
        "thread_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column("psid", sa.String(32), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("last_user_message_at", sa.BigInteger),
    sa.Column("last_message_at", sa.BigInteger),
    sa.Column("user_read_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("page_read_watermark", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("delivered_watermark", sa.BigInteger, nullable=False, server_default="0"),
    # The number of the thread's last message (messages.thread_seq): 1, 2, 3, ... under the
    # thread's row lock, so numbers are committed in order and never skip.
    sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("page_id", "user_id", name="uq_threads_page_user"),
    sa.UniqueConstraint("page_id", "psid", name="uq_threads_page_psid"),
    sa.Index("ix_threads_user", "user_id", "last_message_at"),
)

# A person blocked a business: its Send API calls to them answer (#551), nothing is stored.
business_blocks = sa.Table(
    "business_blocks",
    metadata,
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.user_id"), primary_key=True),
    sa.Column("blocked_at", sa.BigInteger, nullable=False),
    sa.Index("ix_business_blocks_user", "user_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("mid", sa.String(64), nullable=False, unique=True),
    sa.Column("thread_id", sa.BigInteger, sa.ForeignKey("threads.thread_id"), nullable=False),
    sa.Column("sender", sa.String(8), nullable=False),  # "user" | "page"
    sa.Column("body", sa.Text, nullable=False),  # canonical JSON of the message content
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("thread_seq", sa.BigInteger, nullable=False),  # its number in the thread, from 1
    sa.Index("ix_messages_thread_seq", "thread_id", "seq"),
    sa.Index("ux_messages_thread_number", "thread_id", "thread_seq", unique=True),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column(
        "event_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False),
    sa.Column("psid", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("event", sa.Text, nullable=False),  # the item of messaging[], JSON
    sa.Column("status", sa.String(12), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("delivered_at", sa.BigInteger),
    # A dispatcher that is sending the event holds it until ``claimed_until`` (a lease), so
    # dispatchers in several processes never send the same event at the same time.
    sa.Column("claimed_by", sa.String(40)),
    sa.Column("claimed_until", sa.BigInteger),
    # Set when the payload was erased (past its retention, or the person deleted their
    # account): ``event`` is then ``{}``; the entry and its attempts stay in the delivery log
    # until they are deleted in turn (``privacy.webhook_records``).
    sa.Column("erased_at", sa.BigInteger),
    sa.Column("erased_reason", sa.String(16)),  # retention | account_deleted
    # A replay (the bank asked for the event again) names the event it repeats; its payload,
    # and so its ``mid``, is the original's.
    sa.Column("replay_of", sa.BigInteger),
    # The W3C traceparent of the action that queued it, when tracing is on: its delivery
    # joins that trace (``telemetry.tracing``).
    sa.Column("traceparent", sa.String(64)),
    sa.Index("ix_webhook_events_pending", "status", "page_id", "psid", "event_id"),
    sa.Index("ix_webhook_events_page", "page_id", "event_id"),
    sa.Index("ix_webhook_events_age", "created_at", "erased_at"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column(
        "attempt_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column(
        "event_id",
        sa.BigInteger,
        sa.ForeignKey("webhook_events.event_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("attempted_at", sa.BigInteger, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.String(500)),
    sa.Column("duration_ms", sa.Integer, nullable=False),
)
