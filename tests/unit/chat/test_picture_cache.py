"""chat.attachments.PictureCache: an hour per picture, bounded in bytes, LRU."""

from __future__ import annotations

from ledgerline.chat.attachments import PictureCache


def test_pictures_expire_and_the_least_recently_used_go_first() -> None:
    clock = [0.0]
    cache = PictureCache(max_bytes=10, ttl=60, now=lambda: clock[0])
    cache.put("a", b"aaaa", "image/png")
    cache.put("b", b"bbbb", "image/png")
    assert cache.get("a") == (b"aaaa", "image/png")  # a is now the most recent
    cache.put("c", b"cccc", "image/png")  # 12 bytes > 10: b goes
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.get("c") is not None
    cache.put("huge", b"x" * 11, "image/png")  # larger than the whole cache: not kept
    assert cache.get("huge") is None
    clock[0] = 61
    assert cache.get("a") is None
    cache.put("a", b"new", "image/gif")
    assert cache.get("a") == (b"new", "image/gif")
