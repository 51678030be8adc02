"""The command line of ``../shared/CONTRACTS.md`` §1, as independent checks call it.

Each command the contract lists exists with every option it lists (read from the command's
own definition, not its help text). The table below is the contract's, copied: when the
contract grows, so does this table — a missing option fails here before an outside check
finds it.
"""

from __future__ import annotations

from typing import Any

import pytest
import typer

from ledgerline.cli.main import app

STORAGE = ("--database-url", "--data-dir")
REPORTS = ("--report-rate", "--report-delay-minutes", "--false-report-rate", "--report-seed")
CONTRACT: dict[str, tuple[str, ...]] = {
    "serve": ("--host", "--port", "--public-url"),
    "demo": ("--host", "--port", "--public-url"),
    "business create": (
        "--name",
        "--webhook-url",
        "--verify-token",
        "--account-link-url",
        "--json",
        *STORAGE,
    ),
    "business list": ("--json", *STORAGE),
    "user create": ("--name", "--locale", "--timezone", "--json", *STORAGE),
    "audit verify": ("--json", *STORAGE),
    "fraud simulate": (
        "--out",
        "--customers",
        "--terminals",
        "--days",
        "--start",
        "--seed",
    ),
    "fraud train": ("--data", "--out", "--until", "--json", *REPORTS),
    "fraud eval": ("--data", "--model", "--test-start", "--test-days", "--json", *REPORTS),
}


def _options(path: str) -> set[str]:
    command: Any = typer.main.get_command(app)
    for name in path.split():
        found = getattr(command, "commands", {}).get(name)
        assert found is not None, f"ledgerline {path}: no command {name!r}"
        command = found
    return {opt for param in command.params for opt in param.opts}


@pytest.mark.parametrize("path", sorted(CONTRACT))
def test_every_command_of_the_contract_takes_its_options(path: str) -> None:
    missing = set(CONTRACT[path]) - _options(path)
    assert not missing, f"ledgerline {path} lacks {sorted(missing)}"
