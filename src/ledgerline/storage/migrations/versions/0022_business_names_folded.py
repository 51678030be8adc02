"""business names folded without diacritics: ``businesses.name_folded`` becomes
``domain.folding.fold(name)`` (case folded, diacritics removed, ``đ`` → ``d``), so the
directory's search finds "Ngân hàng Demo" by "ngan hang"

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from ledgerline.domain.folding import fold

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_businesses = sa.table(
    "businesses",
    sa.column("page_id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_folded", sa.String),
)


def _refold(folder: Callable[[str], str]) -> None:
    conn = op.get_bind()
    for page_id, name in conn.execute(sa.select(_businesses.c.page_id, _businesses.c.name)):
        conn.execute(
            _businesses.update()
            .where(_businesses.c.page_id == page_id)
            .values(name_folded=folder(name))
        )


def upgrade() -> None:
    _refold(fold)


def downgrade() -> None:
    _refold(str.casefold)
