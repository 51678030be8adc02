"""The API's short memory of tokens forgets at once when tokens are revoked."""

from __future__ import annotations

from ledgerline.api.tokens import TokenCache


def test_a_cleared_cache_forgets_and_refuses_lookups_begun_before() -> None:
    cache = TokenCache()
    cache.put("h1", "page-1", cache.generation)
    assert cache.get("h1") == "page-1"
    begun = cache.generation  # a database look-up starts here...
    cache.clear()  # ...a token is revoked meanwhile...
    cache.put("h2", "page-2", begun)  # ...and what it read is not remembered
    assert cache.get("h1") is None
    assert cache.get("h2") is None
    cache.put("h2", "page-2", cache.generation)
    assert cache.get("h2") == "page-2"
