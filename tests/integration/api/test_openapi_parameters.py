"""Query parameters and bodies read by hand are documented by the field specs that read
them (issue 14 part 4): each operation's parameters are ``query_parameters(spec)`` of the
``Obj`` the route reads with, its body's schemas are that ``Obj``'s ``json_schemas``, and
every documented example is accepted by that spec."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerline.api.bank.attachments import BY_URL
from ledgerline.api.bank.body import UPLOAD_FIELD
from ledgerline.api.bank.handover import THREAD_OWNER_QUERY
from ledgerline.api.bank.linking import ME_QUERY
from ledgerline.api.bank.subscriptions import SUBSCRIBE_OLD
from ledgerline.api.openapi import query_parameters
from ledgerline.bootstrap import build_app, build_services
from ledgerline.config import Settings
from ledgerline.delivery.replay import REPLAY
from ledgerline.delivery.settings import SETTINGS_CHANGE
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import Obj, json_schemas
from ledgerline.domain.page_profile import DELETE_PERSON_MENU, PERSON_MENU_QUERY, PROFILE_QUERY
from ledgerline.domain.user_profile import PROFILE_QUERY as USER_PROFILE_QUERY

pytestmark = pytest.mark.xdist_group("integration.api.test_openapi_parameters")

QUERIES = [
    ("/{psid}", "get", USER_PROFILE_QUERY),
    ("/me/thread_owner", "get", THREAD_OWNER_QUERY),
    ("/me/messenger_profile", "get", PROFILE_QUERY),
    ("/me/custom_user_settings", "get", PERSON_MENU_QUERY),
    ("/me/custom_user_settings", "delete", DELETE_PERSON_MENU),
    ("/me", "get", ME_QUERY),
    ("/me", "post", ME_QUERY),
]

BODIES = [
    ("/me/subscribed_apps", "post", SUBSCRIBE_OLD),
    ("/me/webhook_deliveries/replay", "post", REPLAY),
    ("/me/webhook_settings", "post", SETTINGS_CHANGE),
    ("/me/message_attachments", "post", BY_URL),
]


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("openapi-parameters")
    services = build_services(
        Settings(env="development", data_dir=tmp, database_url=f"sqlite:///{tmp / 'l.db'}")
    )
    try:
        document: dict[str, Any] = build_app(services, run_workers=False).openapi()
        yield document
    finally:
        services.close()


@pytest.mark.parametrize(("path", "method", "query"), QUERIES)
def test_query_parameters_are_documented_by_the_specs_that_read_them(
    spec: dict[str, Any], path: str, method: str, query: Obj
) -> None:
    parameters = {
        parameter["name"]: parameter
        for parameter in spec["paths"][path][method]["parameters"]
        if parameter["in"] == "query" and parameter["name"] != "version"
    }
    assert parameters == {p["name"]: p for p in query_parameters(query)}
    for name, parameter in parameters.items():
        field = query.fields[name]
        assert parameter["required"] == field.required
        if "example" in parameter:
            field.parse(parameter["example"], name)  # accepted as documented
        pattern = parameter["schema"].get("pattern")
        if pattern is not None and "example" in parameter:
            assert re.fullmatch(pattern, parameter["example"])


def test_a_value_outside_a_documented_pattern_is_refused_by_the_same_spec() -> None:
    (fields,) = query_parameters(USER_PROFILE_QUERY)
    assert re.fullmatch(fields["schema"]["pattern"], "name, locale")
    assert USER_PROFILE_QUERY.read({"fields": "name, locale"}) == {"fields": ["name", "locale"]}
    assert not re.fullmatch(fields["schema"]["pattern"], "name,email")
    with pytest.raises(InvalidParameter, match="nonexisting field"):
        USER_PROFILE_QUERY.read({"fields": "name,email"})
    (names,) = query_parameters(PROFILE_QUERY)
    assert not re.fullmatch(names["schema"]["pattern"], "greeting,nickname")
    with pytest.raises(InvalidParameter, match=r"fields\[1\] must be one of"):
        PROFILE_QUERY.read({"fields": "greeting,nickname"})


def test_a_query_parameter_may_not_refer_to_an_object() -> None:
    with pytest.raises(ValueError, match="would refer to objects"):
        query_parameters(Obj("Nested", {"inner": Obj("Inner", {})}))


@pytest.mark.parametrize(("path", "method", "body"), BODIES)
def test_bodies_are_documented_by_the_specs_that_read_them(
    spec: dict[str, Any], path: str, method: str, body: Obj
) -> None:
    schemas = spec["components"]["schemas"]
    for name, schema in json_schemas(body).items():
        assert schemas[name] == schema, name
    content = spec["paths"][path][method]["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{body.name}"}
    for example in content["application/json"]["examples"].values():
        body.read(example["value"])  # every documented example is accepted


@pytest.mark.parametrize(
    ("path", "body", "encoded"),
    [
        ("/me/message_attachments", BY_URL.name, {"message"}),
        ("/{node}/messages", "SendRequest", {"recipient", "message"}),
    ],
)
def test_a_multipart_body_is_the_same_fields_and_the_file(
    spec: dict[str, Any], path: str, body: str, encoded: set[str]
) -> None:
    """The attachment upload and the Send API (pymessenger2's send_attachment) take a
    ``filedata`` file beside the body's fields, objects as JSON text."""
    content = spec["paths"][path]["post"]["requestBody"]["content"]
    multipart = content["multipart/form-data"]
    same, file_part = multipart["schema"]["allOf"]
    assert same == {"$ref": f"#/components/schemas/{body}"}
    assert file_part["properties"] == {UPLOAD_FIELD: {"type": "string", "format": "binary"}}
    assert encoded <= set(multipart["encoding"])
    assert multipart["encoding"]["message"] == {"contentType": "application/json"}
