"""The ``ledgerline`` command: parse, call the platform, print (JSON with ``--json``)."""

from __future__ import annotations

import typer

from ledgerline.cli import core as core_commands, db as db_commands

app = typer.Typer(
    name="ledgerline",
    help="Ledgerline: banking inside a messaging app.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
core_commands.register(app)
db_commands.register(app)  # backup, restore


def _register_optional() -> None:
    """Command groups owned by other parts register themselves here."""
    from ledgerline.cli import optional_groups

    for name, group in optional_groups():
        app.add_typer(group, name=name)


_register_optional()


def main() -> None:
    """Entry point: known failures become one readable line on stderr, never a traceback."""
    from ledgerline.cli.errors import run_with_clean_errors
    from ledgerline.logging import configure_logging

    # Logs go to stderr from the start: stdout carries only a command's result (its JSON).
    configure_logging("WARNING")
    run_with_clean_errors(app)
