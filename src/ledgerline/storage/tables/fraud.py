"""The online fraud engine: feature state per card and per terminal, scored alerts kept as
labels for retraining, and each business's alert policy.

A card's state holds amounts, so it is sealed under the person's data key (``state``) and
erased with it; a terminal's state holds only times and verdict labels. See
``docs/fraud-model.md`` (online section).
"""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.tables._metadata import metadata

fraud_card_state = sa.Table(
    "fraud_card_state",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(32), primary_key=True),
    sa.Column("card_key", sa.String(32), primary_key=True),  # hash of (account, card_last4)
    sa.Column("state", sa.LargeBinary, nullable=False),  # sealed CardState bytes
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

fraud_terminal_state = sa.Table(
    "fraud_terminal_state",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("terminal_key", sa.String(32), primary_key=True),  # hash of the terminal id
    sa.Column("state", sa.LargeBinary, nullable=False),  # TerminalState bytes (times, labels)
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

# One row per transaction the engine alerted on: what a verdict needs to update the
# terminal's risk state (in clear) and the features the model saw (sealed), for retraining.
fraud_scores = sa.Table(
    "fraud_scores",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(32), primary_key=True),
    sa.Column("transaction_ref", sa.String(128), primary_key=True),  # the bank's transaction_id
    sa.Column("terminal_key", sa.String(32)),
    sa.Column("terminal_seq", sa.BigInteger, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("sealed", sa.LargeBinary, nullable=False),  # {"features": {...}, "ref": {...}}
    sa.Column("verdict", sa.String(8)),  # genuine | fraud, once the person answered
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("answered_at", sa.BigInteger),
)

fraud_settings = sa.Table(
    "fraud_settings",
    metadata,
    sa.Column("page_id", sa.String(32), primary_key=True),
    sa.Column("policy", sa.String(16), nullable=False),  # threshold | per_thousand | precision
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
