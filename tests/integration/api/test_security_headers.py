"""Headers on every answer (issue 17 part 6): nosniff everywhere, HSTS in production, and
no /docs or /redoc in production (their pages load scripts from a CDN)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

import httpx

from ledgerline.bootstrap import build_app, build_services
from ledgerline.config import Settings


def _answers(
    tmp_path: Path, env: Literal["production", "development"], *requests: tuple[str, str]
) -> list[httpx.Response]:
    services = build_services(
        Settings(env=env, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'l.db'}")
    )
    app: Any = build_app(services, run_workers=False)

    async def call() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ll") as http:
            return [await http.request(method, path) for method, path in requests]

    try:
        return asyncio.run(call())
    finally:
        services.close()


REQUESTS = [
    ("GET", "/healthz"),
    ("POST", "/v19.0/me/messages"),  # the bank API's hot path: 400 without a token
    ("GET", "/api/v1/threads"),  # the person API: 401
    ("GET", "/openapi.json"),
    ("GET", "/signin"),  # a page, which sets its own headers
    ("GET", "/docs"),
    ("GET", "/redoc"),
]


def test_production_answers_carry_hsts_and_nosniff_and_serve_no_docs(tmp_path: Path) -> None:
    answers = _answers(tmp_path, "production", *REQUESTS)
    health, send, person, openapi, page, docs, redoc = answers
    assert (send.status_code, person.status_code, openapi.status_code) == (400, 401, 200)
    for answer in answers:
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
        assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert "server" not in answer.headers
    assert "content-security-policy" in page.headers
    assert (docs.status_code, redoc.status_code) == (404, 404)
    assert health.status_code == 200


def test_development_serves_the_docs_without_hsts(tmp_path: Path) -> None:
    answers = _answers(tmp_path, "development", *REQUESTS)
    docs, redoc = answers[-2:]
    assert (docs.status_code, redoc.status_code) == (200, 200)
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in answer.headers
