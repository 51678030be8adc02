"""Where the master key comes from, and how it is rotated.

The master key is either ``LEDGERLINE_MASTER_KEY`` (base64 of 32 bytes) or a key file (the
same text): ``LEDGERLINE_MASTER_KEY_FILE``, by default ``<data dir>/master.key``, created with
mode 0600 on first run. A key file
readable by group or others is refused.

Rotation (``rotate_master_key``, CLI ``ledgerline keys rotate``) re-wraps every data key
under a new master key; the records are not touched. With a key file it is crash-safe:

1. the new key is written beside the key file, as ``<key file>.next`` (0600, fsynced);
2. every data key is re-wrapped in one database transaction (rows already under the new
   key are skipped, so a re-run resumes);
3. ``<key file>.next`` atomically replaces the key file (``os.replace`` + directory fsync).

A crash between 2 and 3 leaves ``<key file>.next``; running the command again finishes.

It may run while the platform serves: a running vault follows the key files
(``vault.keyring``), wrapping new data keys by ``<key file>.next`` as soon as it exists and
unwrapping with either key; step 2 is repeated until a pass finds nothing left to re-wrap.
With ``LEDGERLINE_MASTER_KEY`` the new key must be supplied (``LEDGERLINE_NEW_MASTER_KEY``
or a file) and the operator then sets ``LEDGERLINE_MASTER_KEY`` to it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerline.audit import Action, Actor, AuditEvent, AuditLog
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import vault as store
from ledgerline.vault.crypto import MasterKey, unwrap, wrap
from ledgerline.vault.errors import VaultKeyError

KEY_FILE = "master.key"
NEXT_KEY_FILE = "master.key.next"


def next_key_path(key_file: Path) -> Path:
    """Where a rotation writes the next key: beside the key file, ``.next`` appended."""
    return key_file.with_name(key_file.name + ".next")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_key_file(path: Path, key: MasterKey) -> None:
    """Write ``key`` to ``path`` atomically with mode 0600 (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key.to_text() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    _fsync_dir(path.parent)


def read_key_file(path: Path) -> MasterKey:
    """Read a key file; refuses one that group or others may read or write."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise VaultKeyError(
            f"{path} is accessible to other users (mode {stat.S_IMODE(mode):o}); "
            "run `chmod 600` on it"
        )
    try:
        return MasterKey.from_text(path.read_text(encoding="ascii"))
    except (UnicodeDecodeError, VaultKeyError):
        raise VaultKeyError(f"{path} does not hold a valid master key") from None


def load_or_create_master_key(key_file: Path, env_value: str | None) -> MasterKey:
    """The master key from ``LEDGERLINE_MASTER_KEY`` (``env_value``) or ``key_file``.

    Creates the key file (random key, mode 0600) when neither exists.
    """
    if env_value is not None and env_value.strip():
        return MasterKey.from_text(env_value)
    path = key_file
    if path.exists():
        return read_key_file(path)
    key = MasterKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return read_key_file(path)
    try:
        os.write(fd, (key.to_text() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(path.parent)
    return key


@dataclass(frozen=True, slots=True)
class RewrapResult:
    rewrapped: int
    already: int  # keys already wrapped by the new master key (a resumed rotation)


def rewrap_data_keys(
    uow: UnitOfWork, old: MasterKey, new: MasterKey, *, audit: AuditLog, clock: Clock
) -> RewrapResult:
    """Re-wrap every data key from ``old`` to ``new`` in the caller's transaction, audited."""
    conn = uow.conn
    now = to_ms(clock.now())
    rewrapped = already = 0
    for row in store.all_keys(conn):
        if row.master_key_id == new.key_id:
            already += 1
            continue
        if row.master_key_id != old.key_id:
            raise VaultKeyError(
                f"data key {row.key_id} is wrapped by master key {row.master_key_id}, "
                f"which is neither the current ({old.key_id}) nor the new one"
            )
        key = unwrap(
            old, row.wrapped_key, page_id=row.page_id, user_id=row.user_id, key_id=row.key_id
        )
        store.rewrap_key_txn(
            conn,
            row.key_id,
            master_key_id=new.key_id,
            wrapped_key=wrap(new, key, page_id=row.page_id, user_id=row.user_id),
            at=now,
        )
        rewrapped += 1
    audit.append(
        conn,
        AuditEvent(
            actor=Actor.component("keys"),
            action=Action.REWRAP_KEYS,
            detail={
                "rewrapped": rewrapped,
                "already": already,
                "old_master_key_id": old.key_id,
                "new_master_key_id": new.key_id,
            },
        ),
    )
    return RewrapResult(rewrapped, already)


def _rewrap_until_settled(
    write_sync: Callable[..., Any],
    rewrap: Callable[..., RewrapResult],
    old: MasterKey,
    new: MasterKey,
    settle_seconds: float,
) -> RewrapResult:
    """Re-wrap, then again after ``settle_seconds`` until a pass finds nothing left.

    The platform may be serving (``vault.keyring``): once the next key is known, new data
    keys are wrapped by it, but a transaction that chose the old key just before may commit
    after the first pass began (PostgreSQL). The later passes re-wrap those."""
    first: RewrapResult = write_sync(rewrap, old, new)
    rewrapped = first.rewrapped
    for _ in range(5):
        time.sleep(settle_seconds)
        again: RewrapResult = write_sync(rewrap, old, new)
        rewrapped += again.rewrapped
        if again.rewrapped == 0:
            break
    return RewrapResult(rewrapped, first.already)


@dataclass(frozen=True, slots=True)
class RotationReport:
    old_key_id: str
    new_key_id: str
    rewrapped: int
    already: int
    key_file: Path | None  # the replaced key file, or None when the key is in the environment

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "old_key_id": self.old_key_id,
            "new_key_id": self.new_key_id,
            "rewrapped": self.rewrapped,
            "already": self.already,
            "key_file": None if self.key_file is None else str(self.key_file),
        }


def rotate_master_key(
    write_sync: Callable[..., Any],
    *,
    key_file: Path,
    env_value: str | None,
    new_key: MasterKey | None,
    clock: Clock,
    settle_seconds: float = 0.0,
) -> RotationReport:
    """Rotate the master key (see the module docstring for the steps).

    Args:
        write_sync: ``Database.write_sync`` (runs the re-wrap as one action and commits).
        key_file: the key file, when the key is not in the environment.
        env_value: ``LEDGERLINE_MASTER_KEY`` if set (the current key).
        new_key: the new key, or None to generate one (key-file mode only).
        settle_seconds: the wait before a second pass (see ``_rewrap_until_settled``).
    """
    audit = AuditLog(clock)

    def rewrap(uow: UnitOfWork, old: MasterKey, new: MasterKey) -> RewrapResult:
        return rewrap_data_keys(uow, old, new, audit=audit, clock=clock)

    if env_value is not None and env_value.strip():
        current = MasterKey.from_text(env_value)
        if new_key is None:
            raise VaultKeyError(
                "the master key comes from LEDGERLINE_MASTER_KEY: give the new one in "
                "LEDGERLINE_NEW_MASTER_KEY or --new-key-file, then set LEDGERLINE_MASTER_KEY to it"
            )
        if new_key.key_id == current.key_id:
            raise VaultKeyError("the new master key is the same as the current one")
        result = _rewrap_until_settled(write_sync, rewrap, current, new_key, settle_seconds)
        return RotationReport(
            current.key_id, new_key.key_id, result.rewrapped, result.already, None
        )

    path = key_file
    next_path = next_key_path(key_file)
    if not path.exists():
        raise VaultKeyError(f"no master key: neither LEDGERLINE_MASTER_KEY nor {path} exists")
    current = read_key_file(path)
    if next_path.exists():  # an interrupted rotation: finish it with the key it chose
        pending = read_key_file(next_path)
        if new_key is not None and new_key.key_id != pending.key_id:
            raise VaultKeyError(
                f"{next_path} holds an unfinished rotation to {pending.key_id}; "
                "run `ledgerline keys rotate` without a new key to finish it first"
            )
        new_key = pending
    else:
        new_key = new_key or MasterKey.generate()
        if new_key.key_id == current.key_id:
            raise VaultKeyError("the new master key is the same as the current one")
        write_key_file(next_path, new_key)
    result = _rewrap_until_settled(write_sync, rewrap, current, new_key, settle_seconds)
    os.replace(next_path, path)
    _fsync_dir(path.parent)
    return RotationReport(current.key_id, new_key.key_id, result.rewrapped, result.already, path)
