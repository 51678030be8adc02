"""Backups of the database, and restoring one.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while the platform keeps writing; a restore checks the file's integrity first, then copies
it over the target page by page. PostgreSQL: ``pg_dump --format=custom`` and
``pg_restore --clean --if-exists`` (the PostgreSQL client tools on PATH, of the server's
major version). When the URL names a schema (``options=-csearch_path=NAME``), only that
schema is dumped and restored.

Keys are not in a backup: the vault's master key and the secret key live in the data
directory or the environment and are backed up apart (``docs/operations.md``).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ledgerline.storage.engine import normalize_url

TOOL_TIMEOUT_SECONDS = 3600
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([A-Za-z_][A-Za-z0-9_$]*)")


class BackupError(RuntimeError):
    """A backup or restore that could not be done, in one readable line."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    database: str  # sqlite | postgresql
    path: str
    bytes: int


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, str | None]:
    """The URL as PostgreSQL's tools take it, and the schema its ``options`` select."""
    options = url.query.get("options")
    text = options if isinstance(options, str) else " ".join(options or ())
    match = _SEARCH_PATH.search(unquote(text))
    plain = url.set(drivername="postgresql")
    return plain.render_as_string(hide_password=False), match.group(1) if match else None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools")
    return path


def _run(args: list[str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed tools, arguments are not shell-parsed
            args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(
            f"{Path(args[0]).name} took longer than {TOOL_TIMEOUT_SECONDS} s"
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{Path(args[0]).name} failed: {lines[-1] if lines else done.returncode}")


def backup(url: str, out: Path) -> BackupReport:
    """Write a backup of the database at ``url`` to ``out`` (which must not exist)."""
    parsed = normalize_url(url)
    if out.exists():
        raise BackupError(f"{out} already exists: choose a new file")
    out.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        source_path = _sqlite_path(parsed)
        if not source_path.exists():
            raise BackupError(f"no database at {source_path}")
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(out)
        try:
            source.backup(target, pages=1024)
        finally:
            target.close()
            source.close()
        os.chmod(out, 0o600)
        return BackupReport("sqlite", str(out), out.stat().st_size)
    libpq, schema = _libpq(parsed)
    args = [
        _tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        "--file",
        str(out),
    ]
    if schema is not None:
        args += ["--schema", schema]
    _run([*args, libpq])
    os.chmod(out, 0o600)
    return BackupReport("postgresql", str(out), out.stat().st_size)


def _sqlite_integrity(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a SQLite backup: {exc}") from None
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a SQLite backup: {exc}") from None
    finally:
        conn.close()
    if verdict is None or verdict[0] != "ok":
        raise BackupError(f"{path} is damaged: {verdict[0] if verdict else 'no answer'}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a Ledgerline backup (no alembic_version table)")


def restore(url: str, source: Path) -> BackupReport:
    """Replace the database at ``url`` with the backup ``source``. Stop the platform first."""
    parsed = normalize_url(url)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if parsed.get_backend_name() == "sqlite":
        _sqlite_integrity(source)
        target_path = _sqlite_path(parsed)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            backup_conn.backup(target)
        finally:
            target.close()
            backup_conn.close()
        return BackupReport("sqlite", str(target_path), target_path.stat().st_size)
    libpq, schema = _libpq(parsed)
    args = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    args += ["--exit-on-error", "--single-transaction"]
    if schema is not None:
        args += ["--schema", schema]
    _run([*args, "--dbname", libpq, str(source)])
    return BackupReport("postgresql", libpq.split("@")[-1], source.stat().st_size)


def holds_data(url: str) -> bool:
    """Whether the database at ``url`` has any business or person (a restore replaces them)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite" and not _sqlite_path(parsed).exists():
        return False
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = set(inspector.get_table_names())
            return any(
                conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None  # noqa: S608 - fixed names
                for table in ("businesses", "users")
                if table in tables
            )
    finally:
        engine.dispose()
