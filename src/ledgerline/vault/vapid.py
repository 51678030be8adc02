"""Web Push's keys and encryption: the deployment's VAPID key (RFC 8292) and the message
encryption to one browser subscription (RFC 8291, ``aes128gcm``).

The VAPID key pair is derived from the master key (HMAC-SHA256 with its own domain, reduced
to a P-256 scalar), like the transit key: every process of a deployment signs with the same
key and nothing new has to be stored or distributed. A master-key rotation gives a new VAPID
key, so browsers subscribed under the old one stop receiving pushes until the page
subscribes again (it does so when it sees the key changed). Encryption and signing are
``pywebpush``'s and ``py_vapid``'s; this module only holds the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher

from ledgerline.vault.crypto import MasterKey

_VAPID_DOMAIN = b"ledgerline.vapid.v1"
# The order of P-256's base point: a private scalar is in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
TOKEN_SECONDS = 12 * 3600  # a VAPID token's lifetime (RFC 8292: at most 24 hours)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class VapidKeys:
    """The deployment's VAPID key pair; ``subject`` is the contact push services may use
    (RFC 8292 ``sub``: a ``mailto:`` or ``https:`` URL)."""

    def __init__(self, master: MasterKey, subject: str) -> None:
        digest = hmac.new(master.material, _VAPID_DOMAIN, hashlib.sha256).digest()
        scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
        self._vapid = Vapid02()
        self._vapid.private_key = ec.derive_private_key(scalar, ec.SECP256R1())
        self.subject = subject
        raw = self._vapid.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key = _b64url(raw)  # what the page passes as applicationServerKey

    def authorization(self, endpoint_origin: str, now: float | None = None) -> str:
        """The ``Authorization: vapid t=…, k=…`` header value for a push service origin."""
        claims = {
            "aud": endpoint_origin,
            "exp": int((time.time() if now is None else now) + TOKEN_SECONDS),
            "sub": self.subject,
        }
        headers: dict[str, str] = self._vapid.sign(claims)
        return headers["Authorization"]

    @staticmethod
    def encrypt(endpoint: str, p256dh: str, auth: str, payload: dict[str, Any]) -> bytes:
        """``payload`` as JSON, encrypted for one subscription (``aes128gcm``)."""
        pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        body: bytes = pusher.encode(data, "aes128gcm")["body"]
        return body

    @staticmethod
    def valid_subscription_keys(p256dh: str, auth: str) -> bool:
        """The browser's P-256 public key (65 bytes, uncompressed) and 16-byte auth secret."""
        try:
            point = base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))
            secret = base64.urlsafe_b64decode(auth + "=" * (-len(auth) % 4))
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError:
            return False
        return len(point) == 65 and len(secret) == 16
