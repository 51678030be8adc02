"""The ``ledgerline`` command run in the test's own process: ``main()`` with its argv, its
stdin and its exit code, output captured — what a subprocess gives, without starting an
interpreter and importing the platform again for every command. A few tests still run the
installed command for real (``tests/integration/fraud/test_cli.py``, the ``serve`` and
``demo`` tests)."""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledgerline.cli.main import main


@dataclass(frozen=True, slots=True)
class Ran:
    """What a command did, named as ``subprocess.CompletedProcess`` names it."""

    returncode: int
    stdout: str
    stderr: str


class InProcessCli:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        for name in ("LEDGERLINE_DATABASE_URL", "LEDGERLINE_DATA_DIR", "LEDGERLINE_MASTER_KEY"):
            monkeypatch.delenv(name, raising=False)

    def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Ran:
        with self.monkeypatch.context() as patch:
            patch.setattr(sys, "argv", ["ledgerline", *args])
            patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            if cwd is not None:
                patch.chdir(cwd)
            self.capsys.readouterr()
            try:
                main()
                code: object = 0
            except SystemExit as exited:
                code = exited.code
            out, err = self.capsys.readouterr()
        if code is None:
            code = 0
        return Ran(code if isinstance(code, int) else 1, out, err)
