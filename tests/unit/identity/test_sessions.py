"""Web sessions and CSRF tokens."""

from __future__ import annotations

from ledgerline.identity.sessions import (
    BUSINESS,
    PERSON,
    csrf_ok,
    csrf_token,
    new_session_id,
    session_hash,
)

KEY = b"k" * 32


def test_csrf_tokens_are_bound_to_the_session_and_its_kind() -> None:
    session = new_session_id()
    assert len(session) >= 43  # 256 bits, url-safe base64
    assert session_hash(session) != session
    token = csrf_token(KEY, PERSON, session)
    assert csrf_ok(KEY, PERSON, session, token)
    assert not csrf_ok(KEY, BUSINESS, session, token)
    assert not csrf_ok(KEY, PERSON, new_session_id(), token)
    assert not csrf_ok(b"x" * 32, PERSON, session, token)
    assert not csrf_ok(KEY, PERSON, session, None)
    assert not csrf_ok(KEY, PERSON, None, token)
