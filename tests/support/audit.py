"""A database that can append to the audit log, with a fixed test key, and its verify."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ledgerline.audit import VerifyReport, before_commit_steps, verify
from ledgerline.storage.database import Database

TEST_AUDIT_KEY = bytes(range(32))


def audited_database(url: str, **kwargs: Any) -> Database:
    """``Database(url)`` with the audit log's step under :data:`TEST_AUDIT_KEY`."""
    return Database(url, before_commit=before_commit_steps(TEST_AUDIT_KEY), **kwargs)


def verify_chain(conn: sa.Connection, **kwargs: Any) -> VerifyReport:
    """``verify`` under :data:`TEST_AUDIT_KEY`."""
    return verify(conn, key=TEST_AUDIT_KEY, **kwargs)
