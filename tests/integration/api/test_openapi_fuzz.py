"""Schemathesis over /openapi.json against a running server: no input produces a 5xx.

A deterministic regression pass (10 examples an operation, the same cases every run);
the large randomised hunt is ``make fuzz`` (scripts/fuzz.py, 50,000 requests)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import RunningPlatform, running_platform

pytestmark = pytest.mark.slow  # end to end: real processes or sockets


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    # Rate limits off: the fuzzer's bursts should reach the handlers, not the (#613) gate.
    with running_platform(
        f"sqlite:///{tmp / 'l.db'}",
        tmp,
        rate_limit_send_per_second=0,
        rate_limit_ingest_per_second=0,
        rate_limit_person_per_second=0,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(live: RunningPlatform) -> dict[str, str]:
    bank = live.create_business()
    user = live.create_user()
    with live.client() as http:
        http.post(
            f"/api/v1/threads/{bank['page_id']}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
            json={"text": "hi"},
        ).raise_for_status()
    return {"page": bank["page_access_token"], "user": user["access_token"]}


def test_openapi_document_lists_every_contract_endpoint(live: RunningPlatform) -> None:
    with live.client() as http:  # 30 s: the first build of the document is slow on a busy CI
        paths = http.get("/openapi.json").json()["paths"]
    for path in (
        "/{node}/messages",
        "/api/v1/businesses",
        "/api/v1/threads",
        "/api/v1/threads/{page_id}/messages",
        "/api/v1/threads/{page_id}/read",
    ):
        assert path in paths
    send = paths["/{node}/messages"]["post"]
    assert send["requestBody"]["content"]["application/json"]["examples"]


@pytest.mark.parametrize(
    ("surface", "path_filter"),
    [
        # Deleting the fuzzing person's account would leave the rest of the run at 401.
        (
            "user",
            [
                "--include-path-regex",
                "^/api/",
                "--exclude-operation-id",
                "delete_account_api_v1_me_delete",
            ],
        ),
        ("page", ["--exclude-path-regex", "^/api/"]),
    ],
)
def test_no_input_produces_a_server_error(
    live: RunningPlatform,
    tokens: dict[str, str],
    tmp_path: Path,
    surface: str,
    path_filter: list[str],
) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{live.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "10",
            "--workers",
            "1",
            "--generation-deterministic",
            "--no-color",
            "-H",
            f"Authorization: Bearer {tokens[surface]}",
            *path_filter,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout.lower()
