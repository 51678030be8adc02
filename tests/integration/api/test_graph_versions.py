"""Only released Graph API versions are accepted as a path prefix: old ones that clients pin
(v2.6, v2.12, v15.0) and every later one; a version that never existed gets Graph's
``(#2500) Unknown path components``, on the hot path and on FastAPI's routes alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledgerline.api.bank.routing import GRAPH_VERSIONS
from tests.support.inprocess import InProcessPlatform, in_process_platform


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessPlatform]:
    with in_process_platform(database_url, tmp_path) as running:
        yield running


def test_released_versions_and_no_other(live: InProcessPlatform) -> None:
    bank = live.create_business()
    auth = {"Authorization": f"Bearer {bank['page_access_token']}"}
    unknown = ["v99.0", "v2.13", "v3.4", "v4.1", "v26.0", "v1.0", "v0.0", "v19"]

    async def scenario(http: httpx.AsyncClient) -> None:
        for version in ("v2.0", "v2.6", "v2.12", "v3.2", "v15.0", "v19.0", "v25.0"):
            answer = await http.get(f"/{version}/me/subscribed_apps", headers=auth)
            assert answer.status_code == 200, (version, answer.text)
        for version in unknown:
            for method, path in (
                ("POST", "me/messages"),  # the hot path
                ("POST", "me/transactions"),  # the hot path
                ("GET", "me/subscribed_apps"),
                ("POST", "me/webhook_settings"),
                ("GET", "me/thread_owner"),
            ):
                answer = await http.request(
                    method, f"/{version}/{path}", headers=auth, json={"recipient": {"id": "1"}}
                )
                assert answer.status_code == 400, (version, path, answer.text)
                error = answer.json()["error"]
                assert error["code"] == 2500, (version, path, error)
                assert error["type"] == "OAuthException"
                assert error["message"] == (
                    f"(#2500) Unknown path components: /{version} is not a Graph API version"
                )
        not_a_version = await http.get("/vfoo/me/subscribed_apps", headers=auth)
        assert not_a_version.json()["error"]["code"] == 803

    live.run(scenario)


def test_the_released_versions() -> None:
    assert {"v2.6", "v2.12", "v3.3", "v4.0", "v15.0", "v25.0"} <= GRAPH_VERSIONS
    assert len(GRAPH_VERSIONS) == 13 + 4 + 22
