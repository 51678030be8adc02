"""The web app's identity: people's sign-in credentials, browser sessions, login throttling.

Secrets are never stored: passwords as argon2 hashes, session ids as SHA-256 of a 256-bit
random value. Times are epoch milliseconds, as everywhere else.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

user_credentials = sa.Table(
    "user_credentials",
    metadata,
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.user_id"), primary_key=True),
    # The sign-in name, folded (lower case, trimmed): a username, an email or a phone number.
    sa.Column("login", sa.String(200), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("session_hash", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(12), nullable=False),  # "person" | "business"
    sa.Column("subject_id", sa.String(32), nullable=False),  # user_id or page_id
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("revoked_at", sa.BigInteger),
    sa.Index("ix_web_sessions_subject", "kind", "subject_id"),
)

login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", sa.BigInteger, nullable=False),
    sa.Column("blocked_until", sa.BigInteger, nullable=False),
)
