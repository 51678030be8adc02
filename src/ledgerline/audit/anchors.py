"""The chain head kept outside the database: an append-only file of keyed anchors.

Each line records the head at a moment, ``{"at", "seq", "entry_hash", "keyed_from", "mac"}``,
where ``mac`` is HMAC-SHA256 under the audit key of the line's other fields, so a line
cannot be forged or edited without the key. ``verify`` checks the chain against every line:
an anchored entry that is gone (the log truncated, its head rewound) or that has another
hash (the log rewritten, or rolled back to a backup and grown again) is reported.

The file is opened with ``O_APPEND`` and each line written whole and fsynced; a line cut
short by a crash is the last one and is skipped. Put the file where whoever can write the
database cannot rewrite it (another disk or host, ``chattr +a``, a log shipper's input).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ledgerline.audit.entries import canonical_json, check_key

_ANCHOR_DOMAIN = b"ledgerline.audit.anchor.v1\n"


@dataclass(frozen=True, slots=True)
class Anchor:
    """The chain head as it was at ``at`` (epoch ms)."""

    seq: int
    entry_hash: str
    keyed_from: int
    at: int

    def fields(self) -> dict[str, int | str]:
        return {
            "at": self.at,
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "keyed_from": self.keyed_from,
        }


@dataclass(frozen=True, slots=True)
class AnchorRead:
    """What the file holds: its valid anchors, and the first line that is not one (1-based;
    None when every line is valid)."""

    anchors: list[Anchor]
    bad_line: int | None = None


class AnchorFile:
    """``append`` one anchor; ``read`` them all back, checking each line's MAC."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = check_key(key)

    def _mac(self, anchor: Anchor) -> str:
        text = canonical_json(anchor.fields()).encode("utf-8")
        return hmac.new(self._key, _ANCHOR_DOMAIN + text, hashlib.sha256).hexdigest()

    def append(self, anchor: Anchor) -> None:
        """Add a line (the file is created with mode 0600 the first time)."""
        line = canonical_json({**anchor.fields(), "mac": self._mac(anchor)}) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> AnchorRead:
        """Every anchor in the file (none when it does not exist)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AnchorRead([])
        lines = text.split("\n")
        complete = lines[:-1]  # after the last newline: empty, or a line a crash cut short
        anchors: list[Anchor] = []
        for number, line in enumerate(complete, start=1):
            anchor = self._parse(line)
            if anchor is None:
                return AnchorRead(anchors, bad_line=number)
            anchors.append(anchor)
        return AnchorRead(anchors)

    def _parse(self, line: str) -> Anchor | None:
        try:
            value = json.loads(line)
            anchor = Anchor(
                seq=int(value["seq"]),
                entry_hash=str(value["entry_hash"]),
                keyed_from=int(value["keyed_from"]),
                at=int(value["at"]),
            )
            mac = str(value["mac"])
        except (ValueError, TypeError, KeyError):
            return None
        return anchor if hmac.compare_digest(mac, self._mac(anchor)) else None
