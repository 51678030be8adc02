"""businesses.subscribed_fields: the Messenger webhook fields each page is subscribed to;
every existing business starts with the default subscription (never standby or echoes)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# domain.webhook_fields.DEFAULT_FIELDS as of this revision (a migration never changes with
# the code that follows it).
DEFAULT_FIELDS = (
    "messages,messaging_postbacks,message_deliveries,message_reads,"
    "messaging_account_linking,fraud_alert_responses,fraud_reports"
)


def upgrade() -> None:
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscribed_fields", sa.String(length=2000), nullable=True))
    op.execute(
        sa.text("UPDATE businesses SET subscribed_fields = :fields").bindparams(
            fields=DEFAULT_FIELDS
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("businesses", schema=None) as batch_op:
        batch_op.drop_column("subscribed_fields")
