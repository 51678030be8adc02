"""Options every storage-touching command shares, and output helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from ledgerline.cli.errors import FAILED, report
from ledgerline.config import Settings

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="LEDGERLINE_DATABASE_URL",
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB (default: SQLite in the data dir)",
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="LEDGERLINE_DATA_DIR",
        help="Holds the SQLite file and key files (default ./.ledgerline)",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def settings_from(database_url: str | None, data_dir: Path | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(overrides)
    if database_url:
        values["database_url"] = database_url
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def emit(result: dict[str, Any], *, as_json: bool, human: str | None = None) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        typer.echo(human if human is not None else json.dumps(result, indent=2, ensure_ascii=False))


def fail(message: str, code: int = FAILED) -> NoReturn:
    """One error line on stderr (JSON under ``--json``) and exit ``code``."""
    report(message, code)
    raise typer.Exit(code)
