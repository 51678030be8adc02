"""Where attachment bytes live: a small interface and its one-machine implementation.

``FileBlobStore`` keeps each blob as a file under the data dir, named by the SHA-256 of its
content (the same file uploaded twice is stored once), written to a temporary name and
renamed, so a reader never sees half a file. Scaled out over several machines the processes
need a store they all share (an S3-compatible bucket, say) behind the same ``BlobStore``
interface; that implementation does not exist yet: until then, run the processes that
accept uploads and the ones that serve them on one machine (or one shared volume).

Blobs no record uses any more (a person deleted their account) are removed by
``workers.blob_sweep`` once they have not been touched for a while.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data``; its key (the SHA-256 hex of the content)."""
        ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def keys_untouched_since(self, when: float) -> list[str]:
        """The keys of blobs not written (nor re-stored) since ``when`` (epoch seconds)."""
        ...


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("not a blob key")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.exists():
            os.utime(path)  # re-stored: fresh again, so a sweep in progress leaves it
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{key}.{secrets.token_hex(4)}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
        return key

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys_untouched_since(self, when: float) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(
            path.name
            for path in self.root.glob("??/??/*")
            if not path.name.startswith(".") and path.stat().st_mtime < when
        )
