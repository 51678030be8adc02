"""The OpenAPI document, as the API really behaves.

``documented_body(Model, examples)`` gives a route's ``openapi_extra`` describing a body the
route reads by hand (Messenger's loose encodings) with a pydantic model, and
``documented_schemas`` with the JSON schemas of the field specs that validate it
(``domain/fields.py``); ``documented_query(spec)`` describes query parameters the same way,
from the :class:`~ledgerline.domain.fields.Obj` whose ``read`` validates them.
``install_openapi`` merges the schemas into the components and then, over the generated
document:

* declares the security schemes — a page access token (``?access_token=`` or
  ``Authorization: Bearer``) for the bank API, a person's token (Bearer) for ``/api/v1`` —
  and which operation takes which, so ``/docs`` can try calls;
* removes FastAPI's 422: a malformed request answers 400 in Messenger's shape (``errors``);
* documents the form-encoded and multipart bodies the bank API accepts beside JSON;
* gives every bank endpoint examples of its answer and of its errors.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from ledgerline.domain.fields import Obj, is_required

_REF = "#/components/schemas/{model}"
# The JSON schemas of the model behind a body read by hand travel in the route's
# ``openapi_extra`` under this key, as JSON text (FastAPI's encoder would drop their
# ``"default": null``); ``install_openapi`` moves them into the components.
_BODY_SCHEMAS = "x-ledgerline-body-schemas"

PAGE_SECURITY: list[dict[str, list[str]]] = [{"pageAccessToken": []}, {"pageBearer": []}]
PERSON_SECURITY: list[dict[str, list[str]]] = [{"personBearer": []}]
OPERATIONS = ("/healthz", "/readyz", "/metrics")

SECURITY_SCHEMES: dict[str, Any] = {
    "pageAccessToken": {
        "type": "apiKey",
        "in": "query",
        "name": "access_token",
        "description": "The page access token (bank API), as Messenger clients send it.",
    },
    "pageBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The page access token (bank API) in `Authorization: Bearer`.",
    },
    "personBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A person's access token (person-facing API `/api/v1`).",
    },
    "metricsBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`LEDGERLINE_METRICS_TOKEN`, for `/metrics` in production.",
    },
}


def _error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": f"(#{code}) {message}", "type": "OAuthException"}
    error["code"] = code
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AbCdEfGhIjKlMnOpQrStU"
    return {"value": {"error": error}}


ERROR_EXAMPLES: dict[str, dict[str, Any]] = {
    "400": {
        "invalid token": _error(190, "Invalid OAuth access token - Cannot parse access token"),
        "bad parameter": _error(100, "param recipient[id] is required"),
        "no such person": _error(100, "No matching user found", 2018001),
        "outside the 24-hour window": _error(
            10, "This message is sent outside of allowed window.", 2018278
        ),
        "rate limited": _error(613, "Calls to this api have exceeded the rate limit."),
    },
    "403": {
        "not allowed": _error(200, "The access token does not belong to this page"),
        "no consent": _error(
            200,
            "The person has not consented to share this category of data with you",
            2018400,
        ),
    },
    "409": {
        "idempotency key reused": _error(
            100, "Idempotency-Key was already used with a different request"
        ),
    },
}

PSID = "12345678901234567890"
PAGE_ID = "106548372910462"
INGESTED = {"accepted": 1, "duplicates": 0, "alerts": []}
SUCCESS_EXAMPLES: dict[str, Any] = {
    "/me/balances": INGESTED,
    "/me/transactions": {
        "accepted": 2,
        "duplicates": 0,
        "alerts": [{"alert_id": "fa_Q2x0b3Zl", "transaction_id": "tx-1002", "score": 0.9312}],
    },
    "/me/receipts": INGESTED,
    "/me/shipments": INGESTED,
    "/me/fraud_alerts": INGESTED,
    "/me/pass_thread_control": {"success": True},
    "/me/take_thread_control": {"success": True},
    "/me/request_thread_control": {"success": True},
    "/me/assistant": {"success": True},
    "/me/thread_owner": {"data": [{"thread_owner": {"app_id": "263902037430900"}}]},
    "/me": {"id": PAGE_ID, "recipient": PSID},
    "/me/unlink_accounts": {"result": "unlink account success"},
}

FORM_NOTE = (
    "\n\nThe body may be JSON, form-encoded or multipart (as Messenger accepts), and "
    "object fields (`recipient`, `message`, …) may be JSON-encoded strings; query "
    "parameters count too."
)


def documented_body(
    model: type[BaseModel], examples: dict[str, Any] | None = None, *, required: bool = True
) -> dict[str, Any]:
    """A body described by a pydantic model."""
    model_schema = model.model_json_schema(ref_template=_REF)
    schemas = {model.__name__: model_schema, **model_schema.pop("$defs", {})}
    return documented_schemas(schemas, examples, required=required)


def documented_schemas(
    schemas: dict[str, dict[str, Any]],
    examples: dict[str, Any] | None = None,
    *,
    required: bool = True,
) -> dict[str, Any]:
    """A body described by JSON schemas: the body's first, then those it refers to (e.g.
    ``domain.fields.json_schemas`` of the spec that also validates it)."""
    body = next(iter(schemas))
    media: dict[str, Any] = {"schema": {"$ref": _REF.format(model=body)}}
    if examples:
        media["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {
        "requestBody": {"required": required, "content": {"application/json": media}},
        _BODY_SCHEMAS: json.dumps(schemas),
    }


def documented_upload(
    schemas: dict[str, dict[str, Any]], examples: dict[str, Any], file_field: str
) -> dict[str, Any]:
    """A body as ``documented_schemas`` describes it, whose multipart form also carries a
    file in ``file_field`` (beside the same fields, objects as JSON text)."""
    extra = documented_schemas(schemas, examples)
    content = extra["requestBody"]["content"]
    file_part = {
        "type": "object",
        "properties": {file_field: {"type": "string", "format": "binary"}},
    }
    multipart: dict[str, Any] = {
        "schema": {"allOf": [copy.deepcopy(content["application/json"]["schema"]), file_part]}
    }
    encoding = _json_encoded(next(iter(schemas.values())).get("properties", {}))
    if encoding:
        multipart["encoding"] = encoding
    content["multipart/form-data"] = multipart
    return extra


def _json_encoded(properties: dict[str, Any]) -> dict[str, Any]:
    """The fields of a form that carry JSON text: objects, arrays and alternatives."""
    return {
        field: {"contentType": "application/json"}
        for field, spec in properties.items()
        if spec.get("type") in ("object", "array") or "$ref" in spec or "anyOf" in spec
    }


def query_parameters(spec: Obj) -> list[dict[str, Any]]:
    """OpenAPI ``parameters`` (in the query) for each field of ``spec``: its name, whether it
    is required, and the field's own schema (its description and example lifted out, as
    OpenAPI puts them on the parameter)."""
    parameters: list[dict[str, Any]] = []
    for name, field in spec.fields.items():
        named: dict[str, dict[str, Any]] = {}
        schema = field.schema(named)
        if named:
            raise ValueError(f"query parameter {name} would refer to objects: {sorted(named)}")
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": is_required(field)}
        if "description" in schema:
            parameter["description"] = schema.pop("description")
        examples = schema.pop("examples", None)
        if examples:
            parameter["example"] = examples[0]
        parameter["schema"] = schema
        parameters.append(parameter)
    return parameters


def documented_query(spec: Obj, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A route's ``openapi_extra`` for query parameters read by hand (``spec.read(params)``):
    documented from the same field specs that validate them; ``extra`` (e.g. a
    ``documented_schemas`` body) is kept beside them."""
    return {**(extra or {}), "parameters": query_parameters(spec)}


def _is_bank(path: str) -> bool:
    return not path.startswith(("/api/", "/account_linking")) and path not in OPERATIONS


def _forms(body: dict[str, Any], components: dict[str, Any]) -> None:
    """Beside a JSON body read by hand, the form and multipart encodings of the same fields
    (object fields sent as JSON text)."""
    content = body.get("content", {})
    media = content.get("application/json")
    if media is None or "$ref" not in media.get("schema", {}):
        return
    name = media["schema"]["$ref"].rsplit("/", 1)[-1]
    encoding = _json_encoded(components.get(name, {}).get("properties", {}))
    for kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form: dict[str, Any] = {"schema": copy.deepcopy(media["schema"])}
        if encoding:
            form["encoding"] = encoding
        content.setdefault(kind, form)


def _polish(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    schemas = components.setdefault("schemas", {})
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            body_schemas = json.loads(operation.pop(_BODY_SCHEMAS, "{}"))
            for position, (name, body_schema) in enumerate(body_schemas.items()):
                if position == 0:  # the body's model itself; then its definitions
                    schemas[name] = body_schema
                else:
                    schemas.setdefault(name, body_schema)
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if path == "/metrics":
                operation["security"] = [{"metricsBearer": []}, {}]
                continue
            if path in OPERATIONS:
                continue
            if not _is_bank(path):
                operation.setdefault("security", PERSON_SECURITY)
                continue
            operation.setdefault("security", PAGE_SECURITY)
            body = operation.get("requestBody")
            if body is not None:
                _forms(body, schemas)
                operation["description"] = operation.get("description", "") + FORM_NOTE
            for code, examples in ERROR_EXAMPLES.items():
                media = responses.get(code, {}).get("content", {}).get("application/json")
                if media is not None:
                    media.setdefault("examples", examples)
            success = next((c for c in responses if c.startswith("2")), None)
            example = SUCCESS_EXAMPLES.get(path)
            if success is not None and example is not None:
                media = (
                    responses[success].setdefault("content", {}).setdefault("application/json", {})
                )
                media.setdefault("example", example)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def install_openapi(app: FastAPI, *, title: str, version: str, description: str) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=title, version=version, description=description, routes=app.routes
        )
        _polish(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
