"""Expensive test inputs built once per run and shared by every test process.

pytest-xdist runs the suite in several processes, and a session- or module-scoped fixture is
built in each process that draws one of its tests (again each time a process comes back to a
module after another's tests). ``built_once`` builds a file once for the whole run, under the
run's temporary root that every worker shares, and the others wait on a file lock and read
what the first one wrote (pytest-xdist's documented recipe for session fixtures).
"""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary root: each xdist worker's own root is a directory inside it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, key: str, build: Callable[[], T]) -> T:
    """``build()``'s value, computed by the first process of the run that asks for ``key``
    and unpickled by every other (``key`` names the inputs: same key, same value)."""
    folder = shared_root(tmp_path_factory) / "built-once"
    folder.mkdir(exist_ok=True)
    path = folder / f"{key}.pickle"
    with (folder / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            with path.open("rb") as saved:
                value: T = pickle.load(saved)  # noqa: S301 - written by this run, just above
            return value
        value = build()
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
        return value
