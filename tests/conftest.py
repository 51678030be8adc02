"""Shared fixtures. ``database_url`` runs a test on SQLite and, when configured, PostgreSQL.

PostgreSQL runs whenever it answers: at ``LEDGERLINE_TEST_DATABASE_URL`` when set, else at the
local server (``postgresql://postgres@127.0.0.1:5432/test``). A newcomer's ``make test``
therefore runs both legs on a machine that has PostgreSQL and only SQLite on one that has
none; under ``CI=true`` an unreachable server is a failure, never a skip.

Every test gets a database of its own, already at the newest migration: each test process
migrates one template per backend once, then each test starts from a copy (a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), dropped afterwards. The migrations
themselves are tested from an empty database in ``tests/integration/storage``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from hypothesis import settings
from sqlalchemy.engine import make_url

from ledgerline.identity import passwords
from ledgerline.storage.database import Database
from ledgerline.storage.engine import normalize_url
from tests.support.cli import InProcessCli

# Properties are about what the code answers, not how fast: on a loaded machine hypothesis's
# 200 ms deadline turned slow examples into flaky failures. Under CI the examples are the same
# every run (derandomize), so the coverage gate measures the same thing each time; a local
# run draws new ones (and `make fuzz` hunts at random through the API).
settings.register_profile("ledgerline", deadline=None, derandomize=os.environ.get("CI") == "true")
settings.load_profile("ledgerline")

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("LEDGERLINE_TEST_DATABASE_URL") or LOCAL_POSTGRES
IN_CI = os.environ.get("CI") == "true"


@cache
def postgres_unreachable() -> str | None:
    """Why the test PostgreSQL cannot be used, or None when it answers (asked once a process)."""
    engine = sa.create_engine(normalize_url(PG_URL), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


def _need_postgres() -> None:
    reason = postgres_unreachable()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL is required under CI=true and is unreachable: {reason}")
    pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {reason}")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledgerline.db"
    Database(f"sqlite:///{path}").close()
    return path


class _PostgresDatabases:
    """Databases of their own for tests, copied from a template this process migrated once."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
        self.template = "ll_template_" + secrets.token_hex(4)
        self._execute(f'CREATE DATABASE "{self.template}"')
        Database(self.url(self.template)).close()

    def url(self, name: str) -> str:
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)

    @contextlib.contextmanager
    def fresh(self, *, migrated: bool = True) -> Iterator[str]:
        name = "ll_test_" + secrets.token_hex(6)
        template = self.template if migrated else "template0"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield self.url(name)
        finally:
            self._execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE "{self.template}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[_PostgresDatabases]:
    _need_postgres()
    databases = _PostgresDatabases()
    yield databases
    databases.close()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own at the newest migration, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "ledgerline.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    _need_postgres()
    databases: _PostgresDatabases = request.getfixturevalue("_postgres_databases")
    with databases.fresh() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own (no migration applied), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    _need_postgres()
    databases: _PostgresDatabases = request.getfixturevalue("_postgres_databases")
    with databases.fresh(migrated=False) as url:
        yield url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """PostgreSQL only, for what needs several writers or processes on one database."""
    _need_postgres()
    databases: _PostgresDatabases = request.getfixturevalue("_postgres_databases")
    with databases.fresh() as url:
        yield url


# argon2id at its cheapest for the test processes: the same code paths and hash format, without
# ~0.2 s of CPU per hash (a sign-in test hashes dozens of times). The production profile is
# checked by tests/unit/identity/test_passwords.py (``production_password_hashing``); the
# ledgerline processes end-to-end tests start hash as in production.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_PRODUCTION_HASHER = passwords._hasher


@pytest.fixture(autouse=True, scope="session")
def _test_strength_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", lambda: _TEST_HASHER)
        passwords._dummy_hash.cache_clear()
        yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The production argon2id profile, for a test about hashing itself."""
    monkeypatch.setattr(passwords, "_hasher", _PRODUCTION_HASHER)
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def ledgerline_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> InProcessCli:
    """``ledgerline …`` in this process (see ``tests/support/cli.py``)."""
    return InProcessCli(monkeypatch, capsys)
