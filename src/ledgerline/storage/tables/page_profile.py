"""A page's Messenger Profile (``/me/messenger_profile``): one row per property set.

``value`` is the property's normalised JSON (``domain.page_profile``);
``account_linking_url`` is not here: it is the business's registered account-link URL.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

page_profile = sa.Table(
    "page_profile",
    metadata,
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), primary_key=True),
    sa.Column("field", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

# A persistent menu for one person (``/me/custom_user_settings``), by the page's PSID.
person_menus = sa.Table(
    "person_menus",
    metadata,
    sa.Column("page_id", sa.String(32), sa.ForeignKey("businesses.page_id"), primary_key=True),
    sa.Column("psid", sa.String(32), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
