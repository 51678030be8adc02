"""The master keys a running vault knows: the one new data keys are wrapped by, and every
one it can unwrap with — what lets ``ledgerline keys rotate`` run while the platform serves.

* :class:`KeyFileKeys` follows the key file (``LEDGERLINE_MASTER_KEY_FILE``, default
  ``DATA_DIR/master.key``) and ``<key file>.next``: from the moment a rotation writes the
  next key, new data keys are wrapped by it; a data key wrapped by a key not seen yet makes
  it read both files again. After the rotation replaces the key file, the process goes on
  with the new key, without a restart.
* :class:`FixedKeys` is for keys from the environment: ``LEDGERLINE_MASTER_KEY``, plus
  ``LEDGERLINE_NEW_MASTER_KEY`` during a rotation (new data keys are wrapped by it; both
  unwrap). Every process gets both, the rotation runs, then ``LEDGERLINE_MASTER_KEY`` becomes
  the new key and the old one is dropped.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from ledgerline.vault.crypto import MasterKey
from ledgerline.vault.keys import next_key_path, read_key_file


class MasterKeys(Protocol):
    def wrapping(self) -> MasterKey:
        """The key to wrap a new data key with."""
        ...

    def get(self, key_id: str) -> MasterKey | None:
        """The key of that id, if this process has it."""
        ...


class FixedKeys:
    def __init__(self, current: MasterKey, new: MasterKey | None = None) -> None:
        self._wrapping = new or current
        self._keys = {key.key_id: key for key in (current, new) if key is not None}

    def wrapping(self) -> MasterKey:
        return self._wrapping

    def get(self, key_id: str) -> MasterKey | None:
        return self._keys.get(key_id)


class KeyFileKeys:
    def __init__(self, key_file: Path, loaded: MasterKey) -> None:
        self.path = key_file
        self.next_path = next_key_path(key_file)
        self._loaded = loaded
        self._keys = {loaded.key_id: loaded}
        self._files: dict[Path, tuple[tuple[int, int], MasterKey]] = {}
        self._lock = threading.Lock()

    def _load(self, path: Path) -> MasterKey | None:
        """The key in ``path`` (None when absent), read again only when the file changed."""
        try:
            info = path.stat()
        except FileNotFoundError:
            self._files.pop(path, None)
            return None
        mark = (info.st_mtime_ns, info.st_size)
        known = self._files.get(path)
        if known is not None and known[0] == mark:
            return known[1]
        key = read_key_file(path)
        self._keys[key.key_id] = key
        self._files[path] = (mark, key)
        return key

    def wrapping(self) -> MasterKey:
        with self._lock:
            upcoming = self._load(self.next_path)
            if upcoming is not None:
                return upcoming
            return self._load(self.path) or self._loaded

    def get(self, key_id: str) -> MasterKey | None:
        with self._lock:
            if key_id not in self._keys:
                self._load(self.path)
                self._load(self.next_path)
            return self._keys.get(key_id)
