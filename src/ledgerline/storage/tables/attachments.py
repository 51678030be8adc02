"""Attachments re-hosted by the platform: who uploaded them, what they are, where the bytes
are (``storage.blobs``, by ``blob_key``)."""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("attachment_id", sa.String(32), primary_key=True),
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), nullable=False),
    # Set when a person sent it (their own upload); None when the page did.
    sa.Column("user_id", sa.String(32)),
    sa.Column("kind", sa.String(8), nullable=False),  # image | audio | video | file
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("blob_key", sa.String(64), nullable=False),
    sa.Column("reusable", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Index("ix_attachments_page_id", "page_id"),
)
