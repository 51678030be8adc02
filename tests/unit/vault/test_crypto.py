from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings, strategies as st

from ledgerline.vault.crypto import (
    Binding,
    DataKey,
    MasterKey,
    open_,
    ref_hash,
    seal,
    unwrap,
    wrap,
)
from ledgerline.vault.errors import RecordUnreadable, VaultKeyError

MATERIAL = bytes(range(32))


def test_master_key_text_round_trips_in_both_base64_alphabets() -> None:
    key = MasterKey(MATERIAL)
    assert MasterKey.from_text(key.to_text()).key_id == key.key_id
    urlsafe = base64.urlsafe_b64encode(MATERIAL).decode().rstrip("=")
    assert MasterKey.from_text(f"  {urlsafe}\n").key_id == key.key_id
    assert key.key_id.startswith("mk_")
    assert len(key.key_id) == 19


@pytest.mark.parametrize("text", ["", "not base64!!", base64.b64encode(b"short").decode()])
def test_a_malformed_master_key_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(VaultKeyError) as refused:
        MasterKey.from_text(text)
    assert "32" in str(refused.value)
    if text:
        assert text not in str(refused.value)


def test_keys_never_show_their_material() -> None:
    master = MasterKey.generate()
    data = DataKey.generate("dk_1")
    assert master.to_text() not in repr(master)
    assert repr(data) == "DataKey(key_id='dk_1')"
    assert MasterKey.generate().key_id != master.key_id


def test_a_wrapped_key_unwraps_only_for_its_owner_and_master() -> None:
    master = MasterKey(MATERIAL)
    data = DataKey.generate("dk_1")
    wrapped = wrap(master, data, page_id="p1", user_id="u1")
    assert (
        unwrap(master, wrapped, page_id="p1", user_id="u1", key_id="dk_1").material == data.material
    )
    for page_id, user_id, key_id in [
        ("p2", "u1", "dk_1"),
        ("p1", "u2", "dk_1"),
        ("p1", "u1", "dk_2"),
    ]:
        with pytest.raises(VaultKeyError):
            unwrap(master, wrapped, page_id=page_id, user_id=user_id, key_id=key_id)
    with pytest.raises(VaultKeyError):
        unwrap(MasterKey.generate(), wrapped, page_id="p1", user_id="u1", key_id="dk_1")


def test_a_sealed_record_opens_only_under_its_binding() -> None:
    key = DataKey.generate("dk_1")
    binding = Binding("rec_1", "p1", "u1", "transaction", 1000)
    sealed = seal(key, binding, {"merchant": "Phở 24", "amount": "125000"})
    assert b"125000" not in sealed
    assert open_(key, binding, sealed) == {"merchant": "Phở 24", "amount": "125000"}
    others = [
        Binding("rec_2", "p1", "u1", "transaction", 1000),
        Binding("rec_1", "p2", "u1", "transaction", 1000),
        Binding("rec_1", "p1", "u2", "transaction", 1000),
        Binding("rec_1", "p1", "u1", "receipt", 1000),
        Binding("rec_1", "p1", "u1", "transaction", 1001),
    ]
    for other in others:
        with pytest.raises(RecordUnreadable) as failed:
            open_(key, other, sealed)
        assert "125000" not in str(failed.value)
    with pytest.raises(RecordUnreadable):
        open_(DataKey.generate("dk_1"), binding, sealed)
    with pytest.raises(RecordUnreadable):
        open_(key, binding, b"short")


def test_payloads_must_be_json() -> None:
    with pytest.raises(ValueError, match="JSON"):
        seal(DataKey.generate("dk_1"), Binding("r", "p", "u", "k", 1), {"when": object()})


def test_ref_hashes_are_keyed_and_kind_scoped() -> None:
    key = DataKey.generate("dk_1")
    first = ref_hash(key, "transaction", "TX1")
    assert first == ref_hash(key, "transaction", "TX1")
    assert first != ref_hash(key, "fraud_alert", "TX1")
    assert first != ref_hash(DataKey.generate("dk_2"), "transaction", "TX1")
    assert "TX1" not in first
    assert len(first) == 64


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(deadline=None, max_examples=50)
@given(payload=st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_any_json_object_round_trips(payload: dict[str, object]) -> None:
    key = DataKey.generate("dk_1")
    binding = Binding("rec_1", "p1", "u1", "receipt", 7)
    assert open_(key, binding, seal(key, binding, payload)) == payload
