"""The ``ledgerline`` command: parse, call the platform, print (JSON with ``--json``)."""

from __future__ import annotations

import typer

from ledgerline.cli import (
    agent,
    audit,
    business,
    core as core_commands,
    db as db_commands,
    fraud,
    keys,
    user,
)

app = typer.Typer(
    name="ledgerline",
    help="Ledgerline: banking inside a messaging app.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
core_commands.register(app)  # serve, work, demo
db_commands.register(app)  # backup, restore
for name, group in (
    ("business", business.app),
    ("user", user.app),
    ("audit", audit.app),
    ("keys", keys.app),
    ("fraud", fraud.app),
    ("agent", agent.app),
    ("db", db_commands.app),
):
    app.add_typer(group, name=name)


def main() -> None:
    """Entry point: known failures become one readable line on stderr, never a traceback."""
    from ledgerline.cli.errors import run_with_clean_errors
    from ledgerline.logging import configure_logging

    # Logs go to stderr from the start: stdout carries only a command's result (its JSON).
    configure_logging("WARNING")
    run_with_clean_errors(app)
