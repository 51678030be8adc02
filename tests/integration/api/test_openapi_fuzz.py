"""Schemathesis over /openapi.json, in process against the ASGI app: no input produces a 5xx.

A deterministic regression pass (10 examples an operation, the same cases every run), the
app with its lifespan (hub, writers, workers) run by schemathesis's ASGI client on one event
loop; no port, no server process. The large randomised hunt is ``make fuzz``
(scripts/fuzz.py, 50,000 requests, against a real server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from ledgerline.bootstrap import build_app, build_services
from ledgerline.config import Settings
from tests.support.server import RunningPlatform


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    # Rate limits off: the fuzzer's bursts should reach the handlers, not the (#613) gate.
    config = Settings(
        env="development",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'l.db'}",
        rate_limit_send_per_second=0,
        rate_limit_ingest_per_second=0,
        rate_limit_person_per_second=0,
    )
    services = build_services(config)
    app = build_app(services)
    try:
        yield RunningPlatform(url=f"http://{asgi.HOST}", platform=services, app=app)
    finally:
        asgi.shutdown_lifespans()  # the app's lifespan, started by the first request
        services.close()


@pytest.fixture
def schema(platform: RunningPlatform) -> Any:
    """The document the app serves, its operations sent to the app in process."""
    return schemathesis.openapi.from_asgi("/openapi.json", platform.app)


@pytest.fixture
def tokens(platform: RunningPlatform, schema: Any) -> dict[str, str]:
    bank = platform.create_business()
    user = platform.create_user()
    app: Any = platform.app  # an ASGI callable; FastAPI types its messages more loosely
    with asgi.get_client(app) as http:  # the lifespan schemathesis runs the app with
        http.post(
            f"/api/v1/threads/{bank['page_id']}/messages",
            headers={"Authorization": f"Bearer {user['access_token']}"},
            json={"text": "hi"},
        ).raise_for_status()
    return {"page": bank["page_access_token"], "user": user["access_token"]}


def test_openapi_document_lists_every_contract_endpoint(schema: Any) -> None:
    paths = schema.raw_schema["paths"]
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


# The same cases every run; the health checks are the hunt's business, not this pass's.
REGRESSION = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def server_errors(schema: Any, token: str) -> list[str]:
    """Each operation's 10 cases, valid and invalid, sent with ``token``: the failures of
    ``not_a_server_error``, one an operation (all of them run, whichever fails first)."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )
        )
        @REGRESSION
        def answers(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
            )

        try:
            answers()
        except FailureGroup as failure:  # the case, its answer and its curl
            failures.append(f"{operation.label}: {failure}")
    return failures


def test_no_person_api_input_produces_a_server_error(schema: Any, tokens: dict[str, str]) -> None:
    # Deleting the fuzzing person's account would leave the rest of the run at 401.
    person_api = schema.include(path_regex="^/api/").exclude(
        operation_id="delete_account_api_v1_me_delete"
    )
    assert server_errors(person_api, tokens["user"]) == []


def test_no_bank_api_input_produces_a_server_error(schema: Any, tokens: dict[str, str]) -> None:
    assert server_errors(schema.exclude(path_regex="^/api/"), tokens["page"]) == []
