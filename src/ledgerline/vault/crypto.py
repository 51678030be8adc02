"""Envelope encryption: AES-256-GCM data keys per (business, person), wrapped by a master key.

- ``wrap``/``unwrap``: the data key under the master key, bound (associated data) to its
  owner and key id, so a wrapped key copied to another person's row does not unwrap.
- ``seal``/``open_``: a record's JSON under its data key, bound to the record id, owner,
  kind and time, so a ciphertext moved to another row does not decrypt.
- ``ref_hash``: a keyed hash (HMAC-SHA256, key derived from the data key) of a bank's
  reference such as ``transaction_id``: equality for dedup, nothing readable, and gone when
  the data key is destroyed.
Stored layout of both ciphertexts: 12-byte random nonce || AES-GCM output (tag included).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledgerline.vault.errors import RecordUnreadable, VaultKeyError

KEY_BYTES = 32
NONCE_BYTES = 12
_MASTER_ID_DOMAIN = b"ledgerline.master-key-id.v1\n"
_REF_DOMAIN = b"ledgerline.ref.v1"
KEY_FORMAT_HINT = (
    "the master key must be base64 of exactly 32 random bytes "
    "(e.g. the output of `openssl rand -base64 32`)"
)


@dataclass(frozen=True, slots=True, repr=False)
class MasterKey:
    """The key-encryption key. ``key_id`` is a fingerprint, safe to show and store."""

    material: bytes
    key_id: str = field(init=False)

    def __post_init__(self) -> None:
        if len(self.material) != KEY_BYTES:
            raise VaultKeyError(KEY_FORMAT_HINT)
        digest = hashlib.sha256(_MASTER_ID_DOMAIN + self.material).hexdigest()
        object.__setattr__(self, "key_id", "mk_" + digest[:16])

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(os.urandom(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        """Parse base64 (standard or URL-safe, padding optional) of 32 bytes."""
        cleaned = "".join(text.split())
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            material = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise VaultKeyError(KEY_FORMAT_HINT) from None
        return cls(material)

    def to_text(self) -> str:
        return base64.b64encode(self.material).decode("ascii")


@dataclass(frozen=True, slots=True, repr=False)
class DataKey:
    key_id: str
    material: bytes

    def __repr__(self) -> str:
        return f"DataKey(key_id={self.key_id!r})"

    @classmethod
    def generate(cls, key_id: str) -> DataKey:
        return cls(key_id, os.urandom(KEY_BYTES))


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _wrap_aad(page_id: str, user_id: str, key_id: str) -> bytes:
    return _json_bytes(
        {"v": 1, "use": "dek", "page_id": page_id, "user_id": user_id, "key_id": key_id}
    )


def wrap(master: MasterKey, key: DataKey, *, page_id: str, user_id: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    aad = _wrap_aad(page_id, user_id, key.key_id)
    return nonce + AESGCM(master.material).encrypt(nonce, key.material, aad)


def unwrap(
    master: MasterKey, wrapped: bytes, *, page_id: str, user_id: str, key_id: str
) -> DataKey:
    nonce, body = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
    try:
        material = AESGCM(master.material).decrypt(nonce, body, _wrap_aad(page_id, user_id, key_id))
    except (InvalidTag, ValueError):
        raise VaultKeyError(
            f"data key {key_id} could not be unwrapped with master key {master.key_id} "
            "(wrong master key, or the key row was altered)"
        ) from None
    return DataKey(key_id, material)


@dataclass(frozen=True, slots=True)
class Binding:
    """What a record's ciphertext is bound to (its associated data)."""

    record_id: str
    page_id: str
    user_id: str
    kind: str
    occurred_at: int

    def aad(self) -> bytes:
        return _json_bytes(
            {
                "v": 1,
                "use": "record",
                "record_id": self.record_id,
                "page_id": self.page_id,
                "user_id": self.user_id,
                "kind": self.kind,
                "occurred_at": self.occurred_at,
            }
        )


def payload_plaintext(payload: Mapping[str, Any]) -> bytes:
    """The canonical JSON a payload is sealed as (and what opening it gives back)."""
    try:
        return _json_bytes(dict(payload))
    except (TypeError, ValueError):
        raise ValueError(
            "vault payloads must be JSON objects (strings, numbers, lists, maps)"
        ) from None


def seal_plaintext(key: DataKey, binding: Binding, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key.material).encrypt(nonce, plaintext, binding.aad())


def seal(key: DataKey, binding: Binding, payload: Mapping[str, Any]) -> bytes:
    return seal_plaintext(key, binding, payload_plaintext(payload))


def open_(key: DataKey, binding: Binding, sealed: bytes) -> dict[str, Any]:
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        plaintext = AESGCM(key.material).decrypt(nonce, body, binding.aad())
    except (InvalidTag, ValueError):
        raise RecordUnreadable(
            f"record {binding.record_id} failed authentication (altered, or moved from another row)"
        ) from None
    value: dict[str, Any] = json.loads(plaintext)
    return value


def seal_bytes(key: DataKey, aad: bytes, data: bytes) -> bytes:
    """Opaque bytes (e.g. derived state) under a data key, bound to ``aad``."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key.material).encrypt(nonce, data, aad)


def open_bytes(key: DataKey, aad: bytes, sealed: bytes) -> bytes | None:
    """The bytes ``seal_bytes`` sealed, or None when they fail authentication."""
    try:
        return AESGCM(key.material).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        return None


def ref_hash(key: DataKey, kind: str, ref: str) -> str:
    """Keyed hash of a bank reference (e.g. a transaction id) within one kind."""
    subkey = hmac.new(key.material, _REF_DOMAIN, hashlib.sha256).digest()
    return hmac.new(subkey, f"{kind}\x00{ref}".encode(), hashlib.sha256).hexdigest()
