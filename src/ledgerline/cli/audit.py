"""``ledgerline audit verify``: prove the audit chain intact, or name its first bad entry."""

from __future__ import annotations

from typing import Annotated

import typer

from ledgerline.audit import verify
from ledgerline.bootstrap import KeyFileError, audit_anchors, load_audit_key
from ledgerline.cli.errors import FAILED, report as report_error
from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.storage.database import Database

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """The hash-chained audit log."""


def _parse_anchor(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        fail("--anchor must be SEQ:HASH (as printed under head by an earlier verify)")
    return int(seq), digest.lower()


@app.command("verify")
def verify_command(
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor",
            help="SEQ:HASH recorded from an earlier verify; that entry must be unchanged.",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Check the whole audit chain with the audit key and against the anchor file
    (LEDGERLINE_AUDIT_KEY[_FILE], LEDGERLINE_AUDIT_ANCHOR_FILE): exit 0 when intact, 1
    naming the first bad entry."""
    expected = _parse_anchor(anchor)
    settings = settings_from(database_url, data_dir)
    try:
        key = load_audit_key(settings, create=False)
    except KeyFileError as exc:
        fail(f"{exc} (the audit key: LEDGERLINE_AUDIT_KEY or LEDGERLINE_AUDIT_KEY_FILE)")
    anchors = audit_anchors(settings, key)
    db = Database(settings.resolved_database_url())
    try:
        report = db.read_sync(verify, key=key, anchors=anchors, anchor=expected)
    finally:
        db.close()
    result = report.to_dict()
    if report.ok:
        emit(
            result,
            as_json=as_json,
            human=f"audit log intact: {report.entries} entries "
            f"(head {report.head_seq}:{report.head_hash}; keyed from entry "
            f"{report.keyed_from}; {report.anchors} anchored entries checked)",
        )
        return
    bad = report.first_bad
    message = (
        "audit log broken" if bad is None else f"audit log broken at entry {bad.seq}: {bad.message}"
    )
    emit(result, as_json=as_json, human=message)
    report_error(message, FAILED)
    raise typer.Exit(FAILED)
