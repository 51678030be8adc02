"""``ledgerline db migrate|check``, ``ledgerline backup`` and ``ledgerline restore``.

``db check`` never changes the schema (every other command migrates on first use): it says
whether the database is reachable, writable and at the newest migration, and exits 1 when
not — a deployment's pre-flight. ``backup`` and ``restore``: ``storage.backup``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.storage.backup import backup, holds_data, restore
from ledgerline.storage.database import Database
from ledgerline.storage.health import DatabaseProbe

app = typer.Typer(help="The database: migrations and checks.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """The database: migrations and checks."""


def _health(url: str) -> dict[str, object]:
    probe = DatabaseProbe(url)
    try:
        health = probe.check()
    finally:
        probe.close()
    return {
        "ok": health.ok,
        "reachable": health.reachable,
        "writable": health.writable,
        "revision": health.revision,
        "head": health.head,
        **({"error": health.error} if health.error else {}),
    }


@app.command("check")
def check(
    database_url: DatabaseUrl = None, data_dir: DataDir = None, as_json: JsonFlag = False
) -> None:
    """Reachable, writable, at the newest migration? Exit 0 if so, 1 otherwise (no changes)."""
    url = settings_from(database_url, data_dir).resolved_database_url()
    result = _health(url)
    if result["ok"]:
        emit(
            result,
            as_json=as_json,
            human=f"database ready: schema at {result['revision']} (newest)",
        )
        return
    if not result["reachable"]:
        why = f"unreachable: {result.get('error')}"
    elif result["revision"] != result["head"]:
        why = f"schema at {result['revision']}, newest is {result['head']}: run `ledgerline db migrate`"
    else:
        why = f"not writable: {result.get('error')}"
    emit(result, as_json=as_json, human=f"database not ready: {why}")
    fail(why)


@app.command("migrate")
def migrate(
    database_url: DatabaseUrl = None, data_dir: DataDir = None, as_json: JsonFlag = False
) -> None:
    """Bring the schema to the newest migration (what every command does on first use)."""
    url = settings_from(database_url, data_dir).resolved_database_url()
    before = _health(url)
    if not before["reachable"]:
        fail(f"cannot use the database: {before.get('error')}")
    Database(url).close()
    after = _health(url)
    emit(
        {"from": before["revision"], "to": after["revision"], "head": after["head"]},
        as_json=as_json,
        human=f"schema at {after['revision']} (was {before['revision'] or 'empty'})",
    )


def register(root: typer.Typer) -> None:
    @root.command("backup")
    def backup_command(
        out: Annotated[Path, typer.Option("--out", help="The backup file to write (new).")],
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Back the database up while the platform runs (SQLite online backup; pg_dump)."""
        settings = settings_from(database_url, data_dir)
        report = backup(settings.resolved_database_url(), out)
        emit(
            {"ok": True, "database": report.database, "path": report.path, "bytes": report.bytes},
            as_json=as_json,
            human=f"{report.database} backup written to {report.path} ({report.bytes} bytes).\n"
            "Keys are not in it: keep the master key and the secret key safe apart.",
        )

    @root.command("restore")
    def restore_command(
        source: Annotated[Path, typer.Option("--from", help="A file written by `backup`.")],
        yes: Annotated[
            bool, typer.Option("--yes", help="Replace a database that holds data.")
        ] = False,
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Replace the database with a backup. Stop the platform first."""
        url = settings_from(database_url, data_dir).resolved_database_url()
        if not source.is_file():
            fail(f"no backup at {source}")
        if not yes and holds_data(url):
            fail("the database holds data that the restore would replace: add --yes")
        report = restore(url, source)
        health = _health(url)
        emit(
            {
                "ok": True,
                "database": report.database,
                "from": str(source),
                "revision": health["revision"],
                "head": health["head"],
            },
            as_json=as_json,
            human=f"restored {source} ({report.database}); schema at {health['revision']}"
            + ("" if health["revision"] == health["head"] else " (migrated on next start)"),
        )
