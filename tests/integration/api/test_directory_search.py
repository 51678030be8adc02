"""The business directory's search (``GET /api/v1/businesses?q=``) ignores case and
diacritics (``đ`` too) and the order of the words: what people type on a phone keyboard
without Vietnamese input finds the bank."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.inprocess import InProcessPlatform, in_process_platform


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessPlatform]:
    with in_process_platform(database_url, tmp_path) as running:
        yield running


def test_a_bank_is_found_whatever_the_case_and_diacritics_typed(live: InProcessPlatform) -> None:
    live.create_business("Ngân hàng Demo")
    live.create_business("Ngân hàng Đông Á")
    live.create_business("Demo Bank")
    person = {"Authorization": f"Bearer {live.create_user()['access_token']}"}

    async def names(http: httpx.AsyncClient, query: str) -> list[str]:
        found = await http.get("/api/v1/businesses", params={"q": query}, headers=person)
        assert found.status_code == 200, found.text
        return [business["name"] for business in found.json()["data"]]

    async def scenario(http: httpx.AsyncClient) -> None:
        for query in ("ngân hàng", "ngan hang", "NGAN HANG", "Ngân Hàng", "  ngan   hang "):
            assert await names(http, query) == ["Ngân hàng Demo", "Ngân hàng Đông Á"], query
        for query in ("ngan hang demo", "NGÂN HÀNG DEMO", "hang demo ngan"):
            assert await names(http, query) == ["Ngân hàng Demo"], query
        for query in ("dong a", "ĐÔNG Á", "đông", "Dong"):
            assert await names(http, query) == ["Ngân hàng Đông Á"], query
        assert await names(http, "demo") == ["Demo Bank", "Ngân hàng Demo"]
        assert await names(http, "démo bank") == ["Demo Bank"]
        assert await names(http, "ngan hang x") == []
        assert await names(http, "%") == []  # a LIKE wildcard is a character, not a pattern
        assert await names(http, "") == ["Demo Bank", "Ngân hàng Demo", "Ngân hàng Đông Á"]

    live.run(scenario)
