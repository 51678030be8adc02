"""Identifiers: numeric page/app ids and PSIDs, prefixed ids and tokens, hashes and the app
secret derived rather than stored."""

from __future__ import annotations

import hashlib
import hmac

from ledgerline.domain import ids


def test_numeric_ids_keep_their_length_and_never_repeat() -> None:
    for make, digits in (
        (ids.new_page_id, 15),
        (ids.new_app_id, 15),
        (ids.new_persona_id, 16),
        (ids.new_psid, 20),
        (ids.new_attachment_id, 20),
    ):
        made = {make() for _ in range(200)}
        assert len(made) == 200
        assert all(len(i) == digits and i.isdigit() and i[0] != "0" for i in made)


def test_prefixed_ids_and_tokens() -> None:
    assert ids.new_user_id().startswith("u_")
    assert len(ids.new_user_id()) == 2 + 16
    assert ids.new_mid().startswith("m_")
    assert ids.new_trace_id().startswith("A")
    token = ids.new_token("EAAL")
    assert token.startswith("EAAL")
    assert len(token) == 4 + 43  # 256 bits, url-safe base64
    assert ids.new_token("EAAL") != token


def test_tokens_are_stored_as_their_sha256() -> None:
    assert ids.token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_app_secrets_are_derived_per_app_and_version() -> None:
    key = b"k" * 32
    first = ids.derive_app_secret(key, "111", 1)
    assert len(first) == 32
    assert first == ids.derive_app_secret(key, "111", 1)
    assert first != ids.derive_app_secret(key, "111", 2)  # rotation
    assert first != ids.derive_app_secret(key, "222", 1)
    assert first != ids.derive_app_secret(b"x" * 32, "111", 1)


def test_appsecret_proof_is_graphs_hmac_of_the_token() -> None:
    expected = hmac.new(b"secret", b"EAALtoken", hashlib.sha256).hexdigest()
    assert ids.appsecret_proof("secret", "EAALtoken") == expected
