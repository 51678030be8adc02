"""Personas: the names a page's messages can be sent under (Messenger's Personas API)."""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

personas = sa.Table(
    "personas",
    metadata,
    sa.Column("persona_id", sa.String(32), primary_key=True),
    sa.Column(
        "page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False, index=True
    ),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("profile_picture_url", sa.String(2000), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)
