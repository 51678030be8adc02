"""OpenAPI for endpoints that read their body by hand (Messenger's loose encodings).

``documented_body(Model, examples)`` gives a route's ``openapi_extra`` describing the JSON
body with a pydantic model; ``install_openapi`` merges those models into the components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_REF = "#/components/schemas/{model}"
_models: dict[str, type[BaseModel]] = {}


def documented_body(
    model: type[BaseModel], examples: dict[str, Any] | None = None, *, required: bool = True
) -> dict[str, Any]:
    _models[model.__name__] = model
    media: dict[str, Any] = {"schema": {"$ref": _REF.format(model=model.__name__)}}
    if examples:
        media["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"requestBody": {"required": required, "content": {"application/json": media}}}


def install_openapi(app: FastAPI, *, title: str, version: str, description: str) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=title, version=version, description=description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model in _models.items():
            model_schema = model.model_json_schema(ref_template=_REF)
            for def_name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(def_name, definition)
            components[name] = model_schema
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
