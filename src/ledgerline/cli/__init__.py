"""Command groups. Each part that has commands adds its Typer group to ``optional_groups``."""

from __future__ import annotations

import importlib

import typer

# (command name, module path, attribute): modules that may not exist yet are skipped.
_GROUPS = [
    ("business", "ledgerline.cli.business", "app"),
    ("user", "ledgerline.cli.user", "app"),
    ("audit", "ledgerline.cli.audit", "app"),
    ("keys", "ledgerline.cli.keys", "app"),
    ("fraud", "ledgerline.cli.fraud", "app"),
    ("agent", "ledgerline.cli.agent", "app"),
    ("db", "ledgerline.cli.db", "app"),
]


def optional_groups() -> list[tuple[str, typer.Typer]]:
    groups = []
    for name, module_path, attribute in _GROUPS:
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as exc:
            if exc.name != module_path:
                raise
            continue
        groups.append((name, getattr(module, attribute)))
    return groups
