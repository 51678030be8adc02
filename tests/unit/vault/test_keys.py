from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ledgerline.vault.crypto import MasterKey
from ledgerline.vault.errors import VaultKeyError
from ledgerline.vault.keys import KEY_FILE, load_or_create_master_key, read_key_file, write_key_file


def test_the_environment_key_wins(tmp_path: Path) -> None:
    key = MasterKey.generate()
    assert load_or_create_master_key(tmp_path / KEY_FILE, key.to_text()).key_id == key.key_id
    assert not (tmp_path / KEY_FILE).exists()


def test_a_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_or_create_master_key(data_dir / KEY_FILE, None)
    assert stat.S_IMODE((data_dir / KEY_FILE).stat().st_mode) == 0o600
    assert load_or_create_master_key(data_dir / KEY_FILE, "  ").key_id == first.key_id


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    load_or_create_master_key(tmp_path / KEY_FILE, None)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(VaultKeyError, match="chmod 600"):
        load_or_create_master_key(tmp_path / KEY_FILE, None)


def test_a_corrupt_key_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_text("hunter2-not-a-key\n")
    os.chmod(path, 0o600)
    with pytest.raises(VaultKeyError) as refused:
        read_key_file(path)
    assert "hunter2" not in str(refused.value)


def test_a_key_file_created_by_a_racing_process_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = MasterKey.generate()
    real_exists = Path.exists

    def exists_once(self: Path) -> bool:
        if self.name == KEY_FILE and not real_exists(self):
            write_key_file(self, theirs)  # the other process wins between check and create
            return False
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", exists_once)
    assert load_or_create_master_key(tmp_path / KEY_FILE, None).key_id == theirs.key_id


def test_write_key_file_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "k" / KEY_FILE
    first, second = MasterKey.generate(), MasterKey.generate()
    write_key_file(path, first)
    (path.parent / f".{KEY_FILE}.{os.getpid()}.tmp").write_text("stale")
    write_key_file(path, second)
    assert read_key_file(path).key_id == second.key_id
    assert sorted(p.name for p in path.parent.iterdir()) == [KEY_FILE]
