"""Sealing what crosses processes when scaled out: live frames can carry financial content
(an update's text lives only in the vault and on its live frame), so the broker — Redis or
NATS, which may keep messages a while — sees only ciphertext.

The transit key is derived from the master key (HMAC-SHA256 with its own domain), so every
process that shares the master key shares it, and nothing new has to be distributed. After a
master-key rotation, restart every process: until then frames between processes on different
keys fail authentication and are dropped (clients refill from history).
"""

from __future__ import annotations

import hashlib
import hmac

from ledgerline.vault.crypto import DataKey, MasterKey, open_bytes, seal_bytes

_TRANSIT_DOMAIN = b"ledgerline.transit.v1"


class TransitCipher:
    def __init__(self, master: MasterKey) -> None:
        material = hmac.new(master.material, _TRANSIT_DOMAIN, hashlib.sha256).digest()
        self._key = DataKey("transit", material)

    def seal(self, topic: str, data: bytes) -> bytes:
        return seal_bytes(self._key, _TRANSIT_DOMAIN + b"\x00" + topic.encode(), data)

    def open(self, topic: str, sealed: bytes) -> bytes | None:
        """The sealed bytes, or None when they fail authentication (another key, tampering)."""
        return open_bytes(self._key, _TRANSIT_DOMAIN + b"\x00" + topic.encode(), sealed)
