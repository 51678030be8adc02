"""The deployment's VAPID key and Web Push encryption: one key per master key, a signed
token a push service can verify, a payload only the subscribed browser can read."""

from __future__ import annotations

import base64
import json

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ledgerline.vault import MasterKey
from ledgerline.vault.vapid import TOKEN_SECONDS, VapidKeys

SUBJECT = "mailto:ops@bank.test"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _browser() -> tuple[ec.EllipticCurvePrivateKey, str, bytes, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = b"0123456789abcdef"
    p256dh = base64.urlsafe_b64encode(point).rstrip(b"=").decode()
    auth = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    return key, p256dh, secret, auth


def test_every_process_of_a_deployment_derives_the_same_key() -> None:
    master = MasterKey.generate()
    same = VapidKeys(MasterKey(master.material), SUBJECT)
    assert VapidKeys(master, SUBJECT).public_key == same.public_key
    assert len(_unb64(same.public_key)) == 65  # an uncompressed P-256 point
    assert VapidKeys(MasterKey.generate(), SUBJECT).public_key != same.public_key


def test_the_authorization_is_a_token_the_push_service_can_verify() -> None:
    keys = VapidKeys(MasterKey.generate(), SUBJECT)
    header = keys.authorization("https://push.example.test", now=1_800_000_000)
    assert header.startswith("vapid t=")
    token, key = (part.split("=", 1)[1] for part in header[len("vapid ") :].split(","))
    assert key == keys.public_key
    signed, signature = token.rsplit(".", 1)
    claims = json.loads(_unb64(signed.split(".")[1]))
    assert claims == {
        "aud": "https://push.example.test",
        "exp": 1_800_000_000 + TOKEN_SECONDS,
        "sub": SUBJECT,
    }
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
    raw = _unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, signed.encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public.verify(der, signed.encode() + b"x", ec.ECDSA(hashes.SHA256()))


def test_a_payload_is_readable_by_the_subscribed_browser_only() -> None:
    key, p256dh, secret, auth = _browser()
    body = VapidKeys.encrypt("https://push.example.test/x", p256dh, auth, {"title": "Số dư"})
    plain = http_ece.decrypt(body, private_key=key, auth_secret=secret, version="aes128gcm")
    assert json.loads(plain) == {"title": "Số dư"}
    other, *_ = _browser()
    with pytest.raises(Exception):  # noqa: B017, PT011 - http_ece raises a bare ECEException or InvalidTag
        http_ece.decrypt(body, private_key=other, auth_secret=secret, version="aes128gcm")


def test_subscription_keys_are_checked_before_they_are_stored() -> None:
    _, p256dh, _, auth = _browser()
    assert VapidKeys.valid_subscription_keys(p256dh, auth)
    assert not VapidKeys.valid_subscription_keys(p256dh, auth[:10])  # not 16 bytes
    assert not VapidKeys.valid_subscription_keys("AAAA", auth)  # not a point
    assert not VapidKeys.valid_subscription_keys(p256dh[:-4] + "AAAA", auth)  # off the curve
