"""The master keys a running vault knows (``vault/keyring.py``), during a rotation and after."""

from __future__ import annotations

import os
from pathlib import Path

from ledgerline.vault.crypto import MasterKey
from ledgerline.vault.keyring import FixedKeys, KeyFileKeys
from ledgerline.vault.keys import KEY_FILE, NEXT_KEY_FILE, next_key_path, write_key_file


def test_keys_from_the_environment_wrap_by_the_new_one_and_unwrap_with_both() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    assert FixedKeys(old).wrapping() == old
    during = FixedKeys(old, new)
    assert during.wrapping() == new
    assert (during.get(old.key_id), during.get(new.key_id)) == (old, new)
    assert during.get(MasterKey.generate().key_id) is None


def test_key_files_are_followed_through_a_rotation(tmp_path: Path) -> None:
    old = MasterKey.generate()
    write_key_file(tmp_path / KEY_FILE, old)
    keys = KeyFileKeys(tmp_path / KEY_FILE, old)
    assert keys.wrapping() == old
    assert keys.wrapping() == old  # the unchanged file is not read again

    new = MasterKey.generate()
    write_key_file(tmp_path / NEXT_KEY_FILE, new)
    seen = KeyFileKeys(tmp_path / KEY_FILE, old)
    assert seen.get(new.key_id) == new  # a key id not seen yet: both files read again
    assert keys.wrapping() == new  # new data keys are wrapped by the next key at once
    assert keys.get(old.key_id) == old

    os.replace(tmp_path / NEXT_KEY_FILE, tmp_path / KEY_FILE)  # the rotation finishes
    assert keys.wrapping() == new
    assert keys.get(MasterKey.generate().key_id) is None


def test_without_key_files_the_loaded_key_wraps(tmp_path: Path) -> None:
    loaded = MasterKey.generate()
    assert KeyFileKeys(tmp_path / KEY_FILE, loaded).wrapping() == loaded


def test_a_key_file_of_any_name_is_followed_with_its_next_beside_it(tmp_path: Path) -> None:
    """``LEDGERLINE_MASTER_KEY_FILE`` may name any file outside the data dir."""
    key_file = tmp_path / "secrets" / "ledgerline-master"
    old, new = MasterKey.generate(), MasterKey.generate()
    write_key_file(key_file, old)
    keys = KeyFileKeys(key_file, old)
    write_key_file(next_key_path(key_file), new)
    assert next_key_path(key_file).name == "ledgerline-master.next"
    assert keys.wrapping() == new
    assert keys.get(old.key_id) == old
