"""What an audit entry says, and how it is hashed into the chain.

An entry records who did what to which records for which purpose, and how it ended — never
a financial value. To keep free text out, ``record_ids`` and the values of ``detail`` must
look like identifiers, codes or numbers (see ``_TOKEN``); anything else is refused.

The chain: ``entry_hash = HMAC-SHA256(audit key, "ledgerline.audit.v2\\n" || prev_hash ||
"\\n" || canonical_json(body))`` where ``body`` holds every stored field of the entry (its
``seq`` too), so an entry modified, deleted, inserted or moved breaks the chain at that
point, and without the key (kept outside the database) nobody can compute a consistent
replacement. Entries written before the chain was keyed (``seq`` below the head's
``keyed_from``) keep the unkeyed ``SHA-256("ledgerline.audit.v1\\n" || ...)`` of
:func:`legacy_hash`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ledgerline.domain.actors import Actor, ActorKind

GENESIS_HASH = "0" * 64
_LEGACY_DOMAIN = b"ledgerline.audit.v1\n"
_KEYED_DOMAIN = b"ledgerline.audit.v2\n"
KEY_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_.:@/+=-]{0,80}$")

DetailValue = str | int | bool | None

__all__ = ["GENESIS_HASH", "Action", "Actor", "ActorKind", "AuditEntry", "AuditEvent", "Outcome"]


class Action(StrEnum):
    """Actions the vault records; other parts may log their own (any identifier string)."""

    STORE = "store"
    READ = "read"
    EXPORT = "export"
    ERASE = "erase"
    PURGE = "purge"
    REWRAP_KEYS = "rewrap_keys"
    SET_RETENTION = "set_retention"


class Outcome(StrEnum):
    ALLOWED = "allowed"  # done (a read served, a record stored, data erased, ...)
    REFUSED = "refused"  # the purpose or consent did not allow it; nothing was done
    DUPLICATE = "duplicate"  # already there; nothing stored


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What a caller appends; the log adds ``seq``, ``at`` and the hashes."""

    actor: Actor
    action: str
    outcome: str = Outcome.ALLOWED
    page_id: str | None = None
    user_id: str | None = None
    purpose: str | None = None
    record_kind: str | None = None
    record_ids: tuple[str, ...] = ()
    detail: Mapping[str, DetailValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("action", "outcome", "page_id", "user_id", "purpose", "record_kind"):
            value = getattr(self, name)
            if value is not None and (not _TOKEN.fullmatch(str(value)) or len(str(value)) > 32):
                raise ValueError(f"audit field {name} must be an identifier of at most 32 chars")
        if not self.action or not self.outcome:
            raise ValueError("audit entries need an action and an outcome")
        for record_id in self.record_ids:
            if not _TOKEN.fullmatch(record_id):
                raise ValueError("audit record ids must be identifiers")
        for key, value in self.detail.items():
            if not _TOKEN.fullmatch(key) or not key:
                raise ValueError("audit detail keys must be identifiers")
            if isinstance(value, str) and not _TOKEN.fullmatch(value):
                # Free text could carry a financial value: only codes and ids are allowed.
                raise ValueError(f"audit detail {key!r} must be an identifier, code or number")
            if value is not None and not isinstance(value, str | int | bool):
                raise ValueError(f"audit detail {key!r} must be a string, integer or boolean")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One stored entry of the chain."""

    seq: int
    at: int  # epoch ms
    actor: Actor
    action: str
    outcome: str
    page_id: str | None
    user_id: str | None
    purpose: str | None
    record_kind: str | None
    record_ids: tuple[str, ...]
    detail: Mapping[str, DetailValue]
    prev_hash: str
    entry_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": {"kind": str(self.actor.kind), "id": self.actor.id},
            "action": self.action,
            "outcome": self.outcome,
            "page_id": self.page_id,
            "user_id": self.user_id,
            "purpose": self.purpose,
            "record_kind": self.record_kind,
            "record_ids": list(self.record_ids),
            "detail": dict(self.detail),
            "entry_hash": self.entry_hash,
        }


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8: one text for one value (one encoder for all: every
    audit entry is encoded three times)."""
    return _CANONICAL.encode(value)


def entry_body(
    *,
    seq: int,
    at: int,
    actor_kind: str,
    actor_id: str,
    action: str,
    outcome: str,
    page_id: str | None,
    user_id: str | None,
    purpose: str | None,
    record_kind: str | None,
    record_ids: str,
    detail: str,
) -> dict[str, Any]:
    """The hashed fields, exactly as stored (JSON columns as their stored text)."""
    return {
        "seq": seq,
        "at": at,
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "action": action,
        "outcome": outcome,
        "page_id": page_id,
        "user_id": user_id,
        "purpose": purpose,
        "record_kind": record_kind,
        "record_ids": record_ids,
        "detail": detail,
    }


def legacy_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """The unkeyed hash of entries written before the chain was keyed (anyone can
    recompute it: only :func:`keyed_hash` resists a rewrite)."""
    digest = hashlib.sha256(_LEGACY_DOMAIN)
    digest.update(prev_hash.encode("ascii", "replace"))
    digest.update(b"\n")
    digest.update(canonical_json(body).encode("utf-8"))
    return digest.hexdigest()


def keyed_hash(key: bytes, prev_hash: str, body: Mapping[str, Any]) -> str:
    """The entry's HMAC-SHA256 under the audit key, chained to ``prev_hash``."""
    mac = hmac.new(key, _KEYED_DOMAIN, hashlib.sha256)
    mac.update(prev_hash.encode("ascii", "replace"))
    mac.update(b"\n")
    mac.update(canonical_json(body).encode("utf-8"))
    return mac.hexdigest()


def check_key(key: bytes) -> bytes:
    """The audit key must be at least 32 bytes (HMAC-SHA256's block of strength)."""
    if len(key) < KEY_BYTES:
        raise ValueError(f"the audit key must be at least {KEY_BYTES} bytes")
    return key
