from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ledgerline.audit import Anchor, AnchorFile

KEY = b"k" * 32


def test_anchors_are_read_back_in_the_order_they_were_written(tmp_path: Path) -> None:
    anchors = AnchorFile(tmp_path / "keep" / "audit.anchor", KEY)
    assert anchors.read().anchors == []
    first = Anchor(seq=3, entry_hash="a" * 64, keyed_from=1, at=1000)
    second = Anchor(seq=7, entry_hash="b" * 64, keyed_from=1, at=2000)
    anchors.append(first)
    anchors.append(second)
    read = anchors.read()
    assert read.anchors == [first, second]
    assert read.bad_line is None
    assert stat.S_IMODE(os.stat(anchors.path).st_mode) == 0o600


def test_an_edited_or_foreign_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "audit.anchor"
    anchors = AnchorFile(path, KEY)
    anchors.append(Anchor(seq=3, entry_hash="a" * 64, keyed_from=1, at=1000))
    anchors.append(Anchor(seq=4, entry_hash="b" * 64, keyed_from=1, at=2000))
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n" + lines[1].replace('"seq":4', '"seq":2') + "\n")
    read = anchors.read()
    assert read.bad_line == 2
    assert [a.seq for a in read.anchors] == [3]
    # Another key's anchors are not this log's.
    assert AnchorFile(path, b"j" * 32).read().bad_line == 1
    for garbage in ["not json", "[1, 2]", '{"seq": 1}']:
        path.write_text(garbage + "\n")
        assert anchors.read().bad_line == 1


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "audit.anchor"
    anchors = AnchorFile(path, KEY)
    anchors.append(Anchor(seq=3, entry_hash="a" * 64, keyed_from=1, at=1000))
    with path.open("a") as handle:
        handle.write('{"at":2000,"entry_ha')
    read = anchors.read()
    assert [a.seq for a in read.anchors] == [3]
    assert read.bad_line is None


def test_the_anchor_key_must_be_long_enough(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        AnchorFile(tmp_path / "audit.anchor", b"short")
