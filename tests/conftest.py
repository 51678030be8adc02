"""Shared fixtures. ``database_url`` runs a test on SQLite and, when configured, PostgreSQL.

PostgreSQL is used when ``LEDGERLINE_TEST_DATABASE_URL`` is set (``scripts/test`` sets it
under ``CI=true``); each test gets its own schema, dropped afterwards. Outside CI an
unreachable server skips the PostgreSQL leg; under CI it fails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import settings

from ledgerline.storage.engine import normalize_url

# Properties are about what the code answers, not how fast: on a loaded machine hypothesis's
# 200 ms deadline turned slow examples into flaky failures.
settings.register_profile("ledgerline", deadline=None)
settings.load_profile("ledgerline")

PG_URL = os.environ.get("LEDGERLINE_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI") == "true"


def _backends() -> list[object]:
    backends: list[object] = ["sqlite"]
    if PG_URL or IN_CI:
        backends.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return backends


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledgerline.db'}"
        return
    yield from _postgres_schema()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """PostgreSQL only, for what needs several writers or processes on one database. Outside
    CI without ``LEDGERLINE_TEST_DATABASE_URL`` the test is skipped; under CI it always runs."""
    if not (PG_URL or IN_CI):
        pytest.skip("PostgreSQL not configured (set LEDGERLINE_TEST_DATABASE_URL)")
    yield from _postgres_schema()


def _postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    base = PG_URL or "postgresql://postgres@127.0.0.1:5432/test"
    admin = sa.create_engine(normalize_url(base))
    schema = "t_" + secrets.token_hex(6)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true and is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
