"""``ledgerline keys rotate``: re-wrap every data key under a new master key.

The new key is never taken from the command line (it would show in ``ps`` and shell
history): it comes from ``--new-key-file`` (base64 of 32 bytes), the environment variable
``LEDGERLINE_NEW_MASTER_KEY``, or — when the current key lives in the key file — is
generated. It may run while the platform serves: running processes follow the key files
(``vault.keyring``); with keys in the environment, give every process
``LEDGERLINE_NEW_MASTER_KEY`` first, rotate, then make the new key ``LEDGERLINE_MASTER_KEY``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ledgerline.audit import before_commit_steps
from ledgerline.bootstrap import load_audit_key
from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.domain.clock import SystemClock
from ledgerline.storage.database import Database
from ledgerline.vault import MasterKey, VaultKeyError, rotate_master_key
from ledgerline.vault.keys import read_key_file

app = typer.Typer(help="The vault's master key.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """The vault's master key."""


@app.command("rotate")
def rotate(
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key-file",
            help="File holding the new key (base64 of 32 bytes, mode 0600). "
            "Default: LEDGERLINE_NEW_MASTER_KEY, else a generated key (key-file mode).",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-wrap every data key under a new master key and replace the key file atomically."""
    settings = settings_from(database_url, data_dir)
    try:
        new_key: MasterKey | None = None
        if new_key_file is not None:
            new_key = read_key_file(new_key_file)
        elif os.environ.get("LEDGERLINE_NEW_MASTER_KEY", "").strip():
            new_key = MasterKey.from_text(os.environ["LEDGERLINE_NEW_MASTER_KEY"])
        current = settings.master_key.get_secret_value() if settings.master_key else None
        db = Database(
            settings.resolved_database_url(),
            before_commit=before_commit_steps(load_audit_key(settings)),
        )
        try:
            report = rotate_master_key(
                db.write_sync,
                key_file=settings.resolved_master_key_file(),
                env_value=current,
                new_key=new_key,
                clock=SystemClock(),
                settle_seconds=1.0,  # servers may be wrapping new data keys meanwhile
            )
        finally:
            db.close()
    except VaultKeyError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"{exc.strerror}: {exc.filename}")
    where = (
        f"; {report.key_file} now holds the new key"
        if report.key_file is not None
        else "; now set LEDGERLINE_MASTER_KEY to the new key"
    )
    emit(
        report.to_dict(),
        as_json=as_json,
        human=f"re-wrapped {report.rewrapped} data keys from {report.old_key_id} "
        f"to {report.new_key_id}{where}",
    )
