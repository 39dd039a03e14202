"""The OpenAPI 3 document, built from the same route table the dispatcher uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from journeystack import __version__

from .routing import Route

_ERROR = {
    "type": "object",
    "required": ["message", "errorcode", "documentation"],
    "properties": {
        "message": {"type": "string"},
        "errorcode": {"type": "integer"},
        "documentation": {"type": "string"},
        "validationErrors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"message": {"type": "string"}, "errorcode": {"type": "integer"}},
            },
        },
    },
}
_JOURNEY = {
    "type": "object",
    "description": "A journey version: the Journey Spec document plus server-owned fields.",
    "properties": {
        name: {"type": kind}
        for name, kind in [
            ("id", "string"),
            ("key", "string"),
            ("name", "string"),
            ("description", "string"),
            ("version", "integer"),
            ("workflowApiVersion", "number"),
            ("createdDate", "string"),
            ("modifiedDate", "string"),
            ("lastPublishedDate", "string"),
            ("status", "string"),
            ("definitionId", "string"),
            ("entryMode", "string"),
            ("definitionType", "string"),
            ("executionMode", "string"),
            ("triggers", "array"),
            ("activities", "array"),
            ("goals", "array"),
            ("exits", "array"),
            ("notifiers", "array"),
            ("defaults", "object"),
            ("metaData", "object"),
        ]
    },  # fmt: skip
    "additionalProperties": True,
}


def _schema_ref(model: type[Any] | dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(model, dict):
        return model
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = definition
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}
    raise TypeError(model)


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    for segment in route.segments():
        if "{" in segment:
            name = segment[segment.index("{") + 1 : -1]
            parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    parameters.extend(
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}} for name in route.query
    )
    if route.response_schema is not None:
        ok_schema = _schema_ref(route.response_schema, components)
    elif route.tag == "journeys":
        ok_schema = {"$ref": "#/components/schemas/Journey"}
    else:
        ok_schema = {"type": "object"}
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok_schema}}}
    }
    for status, description in route.responses.items():
        entry: dict[str, Any] = {"description": description}
        if status != 304:
            entry["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        responses[str(status)] = entry
    if route.authenticated:
        responses["401"] = {"description": "Not Authorized (missing, unknown or expired token)."}
    if route.admin:
        responses["401"] = {
            "description": "The admin token is missing or wrong (errorcode 90001); SFMC tokens never open it.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if route.request_schema is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(route.request_schema, components)}},
        }
    if route.authenticated:
        operation["security"] = [{"bearer": []}]
    if route.admin:
        operation["security"] = [{"adminBearer": []}, {"adminHeader": []}]
    return operation


def build_openapi(routes: list[Route]) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": _ERROR, "Journey": _JOURNEY}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "journeystack: Journey Builder Interaction API",
            "version": __version__,
            "description": "A self-hosted implementation of SFMC's /interaction/v1 API and /v2/token.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                # The control plane (tag control-plane): the admin token, in either header.
                "adminBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "JOURNEYSTACK_ADMIN_TOKEN",
                },
                "adminHeader": {"type": "apiKey", "in": "header", "name": "X-Journeystack-Admin-Token"},
            },
        },
    }
