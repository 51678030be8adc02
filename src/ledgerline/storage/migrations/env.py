"""Alembic environment: runs against the connection the platform hands it."""

from __future__ import annotations

from alembic import context

from ledgerline.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for ad-hoc `alembic` use
    raise RuntimeError("run migrations through ledgerline.storage.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite ALTERs go through batch mode
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
