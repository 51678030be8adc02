"""Account linking: consents (who granted which scopes to which business, under which text,
from when until when) and the short-lived linking tokens of the Messenger flow.

Tokens are never stored in clear: ``token_hash`` is the SHA-256 of the
``account_linking_token`` handed to the bank, ``state_hash`` that of the ``state`` carried by
the ``redirect_uri``. Times are epoch milliseconds, as in the core tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

# One row per consent the person gave. Status moves pending -> active -> (expired | revoked
# | superseded), or pending -> cancelled. At most one row per (page, person) is active.
link_consents = sa.Table(
    "link_consents",
    metadata,
    sa.Column(
        "consent_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column("scopes", sa.String(200), nullable=False),  # sorted, comma-separated
    sa.Column("text_version", sa.String(40), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("given_at", sa.BigInteger, nullable=False),  # the person agreed
    sa.Column("granted_at", sa.BigInteger),  # the link completed (consent in force)
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("ended_at", sa.BigInteger),
    sa.Column("ended_by", sa.String(12)),  # person | business | expiry | relink | change
    sa.Column("reminded_at", sa.BigInteger),
    sa.Column("previous_id", sa.BigInteger),  # the consent this one replaced (scope change)
    sa.Index("ix_link_consents_pair", "page_id", "user_id", "status"),
    sa.Index("ix_link_consents_user", "user_id", "consent_id"),
    sa.Index("ix_link_consents_due", "status", "expires_at"),
)

link_tokens = sa.Table(
    "link_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("state_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column(
        "consent_id", sa.BigInteger, sa.ForeignKey("link_consents.consent_id"), nullable=False
    ),
    sa.Column("psid", sa.String(32), nullable=False),
    # Set when the consent form of a browser started the flow: the hash of the binding
    # cookie that browser must still carry at the callback, and the form's one-time nonce.
    sa.Column("binding_hash", sa.String(64)),
    sa.Column("form_nonce_hash", sa.String(64), unique=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("used_at", sa.BigInteger),
    sa.Column("outcome", sa.String(12)),  # linked | cancelled | refused
    sa.Index("ix_link_tokens_expires", "expires_at"),
)
