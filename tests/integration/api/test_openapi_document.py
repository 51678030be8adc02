"""The OpenAPI document as the API behaves (issue 18 part 6): security schemes to try calls
from /docs, no 422 (bad input answers 400), form and multipart bodies, examples of answers
and errors on every bank endpoint, ReDoc."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.api.bank.handover import ASSISTANT_SWITCH, PASS_THREAD_CONTROL, THREAD_CONTROL
from ledgerline.api.bank.linking import UNLINK_ACCOUNTS
from ledgerline.bootstrap import build_app, build_services
from ledgerline.chat.personas import NEW_PERSONA
from ledgerline.config import Settings
from ledgerline.domain.errors import InvalidParameter, TooManyElements
from ledgerline.domain.fields import json_schemas
from ledgerline.domain.messages import MESSAGE
from ledgerline.domain.page_profile import (
    MAX_GREETING,
    MAX_MENU_ITEMS,
    PERSON_MENU,
    PROFILE,
    PROFILE_FIELDS,
    normalize_profile,
)
from ledgerline.domain.send_request import SEND_REQUEST
from tests.support.aio import run_async

OPERATIONS = ("/healthz", "/readyz", "/metrics")


# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# app and its OpenAPI document built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("integration.api.test_openapi_document")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    services = build_services(
        Settings(env="development", data_dir=tmp, database_url=f"sqlite:///{tmp / 'l.db'}")
    )
    try:
        yield build_app(services, run_workers=False)
    finally:
        services.close()


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    document: dict[str, Any] = app.openapi()
    return document


def _bank_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in spec["paths"].items()
        if not path.startswith(("/api/", "/account_linking")) and path not in OPERATIONS
        for method, operation in operations.items()
    ]


def test_security_schemes_let_docs_try_calls(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["pageAccessToken"] == {
        "type": "apiKey",
        "in": "query",
        "name": "access_token",
        "description": schemes["pageAccessToken"]["description"],
    }
    assert schemes["pageBearer"]["scheme"] == schemes["personBearer"]["scheme"] == "bearer"
    send = spec["paths"]["/{node}/messages"]["post"]
    assert send["security"] == [{"pageAccessToken": []}, {"pageBearer": []}]
    threads = spec["paths"]["/api/v1/threads"]["get"]
    assert threads["security"] == [{"personBearer": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_no_operation_advertises_a_422(spec: dict[str, Any]) -> None:
    advertised = [
        (path, method)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "422" in operation["responses"]
    ]
    assert advertised == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_every_bank_endpoint_has_examples_of_its_answer_and_errors(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    operations = _bank_operations(spec)
    assert len(operations) >= 15
    for path, method, operation in operations:
        responses = operation["responses"]
        success = next(code for code in responses if code.startswith("2"))
        media = responses[success]["content"]["application/json"]
        ref = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
        assert "example" in media or "examples" in schemas.get(ref, {}), (method, path)
        errors = responses["400"]["content"]["application/json"]["examples"]
        assert errors["invalid token"]["value"]["error"]["code"] == 190, (method, path)
        for example in errors.values():
            assert example["value"]["error"]["message"].startswith("(#")


def test_form_and_multipart_bodies_are_documented(spec: dict[str, Any]) -> None:
    with_bodies = [op for _, _, op in _bank_operations(spec) if "requestBody" in op]
    assert len(with_bodies) >= 10
    for operation in with_bodies:
        content = operation["requestBody"]["content"]
        assert {
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        } <= set(content)
    send = spec["paths"]["/{node}/messages"]["post"]["requestBody"]["content"]
    form = send["application/x-www-form-urlencoded"]
    assert form["encoding"]["recipient"] == {"contentType": "application/json"}
    assert form["encoding"]["message"] == {"contentType": "application/json"}


def test_redoc_and_swagger_pages(app: Any) -> None:
    async def get(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ll") as http:
            return await http.get(path)

    redoc = run_async(lambda: get("/redoc"))
    assert redoc.status_code == 200
    assert "/openapi.json" in redoc.text
    assert "redoc" in redoc.text.lower()
    assert run_async(lambda: get("/docs")).status_code == 200


def test_the_send_api_body_is_documented_by_the_specs_that_validate_it(
    spec: dict[str, Any],
) -> None:
    """One source of truth (issue 14 part 4): the Send API's schemas in the document are
    the field specs' own, and a value one past a documented bound is refused by them."""
    schemas = spec["components"]["schemas"]
    for name, schema in json_schemas(SEND_REQUEST).items():
        assert schemas[name] == schema, name
    operation = spec["paths"]["/{node}/messages"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SendRequest"}
    message = schemas["OutgoingMessage"]["properties"]
    longest = message["text"]["maxLength"]
    assert MESSAGE.parse({"text": "a" * longest}, "message") == {"text": "a" * longest}
    with pytest.raises(InvalidParameter, match=f"at most {longest} characters"):
        MESSAGE.parse({"text": "a" * (longest + 1)}, "message")
    most = message["quick_replies"]["maxItems"]
    reply = {"title": "Có", "payload": "YES"}
    with pytest.raises(TooManyElements):
        MESSAGE.parse({"text": "a", "quick_replies": [reply] * (most + 1)}, "message")
    title = schemas["TextQuickReply"]["properties"]["title"]["maxLength"]
    with pytest.raises(InvalidParameter, match=r"quick_replies\]\[0\]\[title\] must be at most"):
        MESSAGE.parse({"text": "a", "quick_replies": [{**reply, "title": "t" * (title + 1)}]}, "m")
    kinds = schemas["Button"]["oneOf"]
    tags = [option["allOf"][0]["properties"]["type"]["enum"][0] for option in kinds]
    assert tags == ["postback", "web_url", "phone_number", "account_link", "account_unlink"]
    actions = schemas["SendRequest"]["properties"]["sender_action"]["enum"]
    assert actions == ["typing_on", "typing_off", "mark_seen"]


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/me/messenger_profile", "post", PROFILE),
        ("/me/messenger_profile", "delete", PROFILE_FIELDS),
        ("/me/custom_user_settings", "post", PERSON_MENU),
        ("/me/pass_thread_control", "post", PASS_THREAD_CONTROL),
        ("/me/take_thread_control", "post", THREAD_CONTROL),
        ("/me/request_thread_control", "post", THREAD_CONTROL),
        ("/me/assistant", "post", ASSISTANT_SWITCH),
        ("/me/unlink_accounts", "post", UNLINK_ACCOUNTS),
        ("/{node}/personas", "post", NEW_PERSONA),
    ],
)
def test_more_bank_bodies_are_documented_by_the_specs_that_validate_them(
    spec: dict[str, Any], path: str, method: str, body: Any
) -> None:
    """The Messenger Profile, handover, assistant, unlink and persona bodies, as the Send API's: the
    document's schemas are the field specs' own (no hand-written model beside them)."""
    schemas = spec["components"]["schemas"]
    for name, schema in json_schemas(body).items():
        assert schemas[name] == schema, name
    operation = spec["paths"][path][method]
    media = operation["requestBody"]["content"]["application/json"]["schema"]
    assert media == {"$ref": f"#/components/schemas/{body.name}"}


def test_a_profile_value_past_a_documented_bound_is_refused(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    longest = schemas["Greeting"]["properties"]["text"]["maxLength"]
    assert longest == MAX_GREETING
    greeting = {"greeting": [{"locale": "default", "text": "a" * longest}]}
    assert normalize_profile(greeting)["greeting"][0]["text"] == "a" * longest
    with pytest.raises(InvalidParameter, match=f"at most {longest} characters"):
        normalize_profile({"greeting": [{"locale": "default", "text": "a" * (longest + 1)}]})
    items = schemas["PersistentMenu"]["properties"]["call_to_actions"]["maxItems"]
    assert items == MAX_MENU_ITEMS
    item = {"type": "postback", "title": "Số dư", "payload": "BALANCE"}
    menu = {"locale": "default", "call_to_actions": [item] * (items + 1)}
    with pytest.raises(TooManyElements):
        normalize_profile({"persistent_menu": [menu]})
    kinds = schemas["MenuItem"]["oneOf"]
    tags = [option["allOf"][0]["properties"]["type"]["enum"][0] for option in kinds]
    assert tags == ["postback", "web_url", "nested"]
    assert schemas["GetStarted"]["additionalProperties"] == {"type": "null"}
    with pytest.raises(InvalidParameter, match='Invalid keys "title"'):
        normalize_profile({"get_started": {"payload": "GO", "title": "Start"}})
