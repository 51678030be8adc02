from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from ledgerline.audit.entries import (
    GENESIS_HASH,
    Actor,
    ActorKind,
    AuditEvent,
    canonical_json,
    check_key,
    entry_body,
    keyed_hash,
    legacy_hash,
)


def test_actors_have_a_kind_and_an_identifier() -> None:
    assert Actor.business("100").kind is ActorKind.BUSINESS
    assert Actor.person("u_1").kind is ActorKind.PERSON
    assert Actor.agent("agent_1").kind is ActorKind.AGENT
    assert Actor.component("fraud").kind is ActorKind.COMPONENT
    for bad in ["", "has space", "x" * 65]:
        with pytest.raises(ValueError, match="actor id"):
            Actor.component(bad)


def test_free_text_cannot_enter_an_entry() -> None:
    actor = Actor.component("ingest")
    AuditEvent(
        actor, "read", detail={"found": 1, "reason": "scope_missing", "key_id": None, "ok": True}
    )
    with pytest.raises(ValueError, match="identifier, code or number"):
        AuditEvent(actor, "read", detail={"merchant": "Phở Hà Nội 125000 VND"})
    with pytest.raises(ValueError, match="string, integer or boolean"):
        AuditEvent(actor, "read", detail={"amount": 1.5})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="detail keys"):
        AuditEvent(actor, "read", detail={"": 1})
    with pytest.raises(ValueError, match="record ids"):
        AuditEvent(actor, "read", record_ids=("rec 1",))
    with pytest.raises(ValueError, match="purpose"):
        AuditEvent(actor, "read", purpose="to sell it")
    with pytest.raises(ValueError, match="action and an outcome"):
        AuditEvent(actor, "")


def test_canonical_json_is_stable() -> None:
    assert canonical_json({"b": 1, "a": ["é"]}) == '{"a":["é"],"b":1}'


_FIELDS: dict[str, object] = {
    "seq": 1,
    "at": 5,
    "actor_kind": "person",
    "actor_id": "u_1",
    "action": "export",
    "outcome": "allowed",
    "page_id": "100",
    "user_id": "u_1",
    "purpose": "user_access",
    "record_kind": None,
    "record_ids": "[]",
    "detail": "{}",
}
KEY = b"k" * 32


@pytest.mark.parametrize(
    "digest",
    [legacy_hash, lambda prev, body: keyed_hash(KEY, prev, body)],
    ids=["legacy", "keyed"],
)
def test_the_chain_hash_commits_to_every_field_and_the_previous_hash(
    digest: Callable[[str, Mapping[str, Any]], str],
) -> None:
    base = digest(GENESIS_HASH, entry_body(**_FIELDS))  # type: ignore[arg-type]
    assert len(base) == 64
    assert digest("1" * 64, entry_body(**_FIELDS)) != base  # type: ignore[arg-type]
    for name, value in [("seq", 2), ("at", 6), ("purpose", "notify"), ("record_ids", '["r"]')]:
        changed = {**_FIELDS, name: value}
        assert digest(GENESIS_HASH, entry_body(**changed)) != base  # type: ignore[arg-type]


def test_the_keyed_hash_cannot_be_computed_without_the_key() -> None:
    body = entry_body(**_FIELDS)  # type: ignore[arg-type]
    keyed = keyed_hash(KEY, GENESIS_HASH, body)
    assert keyed != legacy_hash(GENESIS_HASH, body)
    assert keyed != keyed_hash(b"j" * 32, GENESIS_HASH, body)
    assert keyed == keyed_hash(KEY, GENESIS_HASH, body)


def test_an_audit_key_is_at_least_32_bytes() -> None:
    assert check_key(KEY) == KEY
    with pytest.raises(ValueError, match="at least 32 bytes"):
        check_key(b"short")
