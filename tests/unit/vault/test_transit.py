"""The transit cipher: what crosses the broker is sealed under a key derived from the master key."""

from __future__ import annotations

from ledgerline.vault import MasterKey, TransitCipher


def test_processes_sharing_the_master_key_read_each_other() -> None:
    master = MasterKey.generate()
    sealed = TransitCipher(master).seal("live", b"frames")
    assert b"frames" not in sealed
    assert TransitCipher(MasterKey(master.material)).open("live", sealed) == b"frames"


def test_another_key_another_topic_or_tampering_fails() -> None:
    master = MasterKey.generate()
    cipher = TransitCipher(master)
    sealed = cipher.seal("live", b"frames")
    assert TransitCipher(MasterKey.generate()).open("live", sealed) is None
    assert cipher.open("outbox", sealed) is None
    assert cipher.open("live", sealed[:-1] + bytes([sealed[-1] ^ 1])) is None
    assert cipher.open("live", b"short") is None
