"""The OpenAPI 3 document, built from the same route table the dispatcher uses.

Each operation lists every answer the server can give it: the route's success (its status, media
type and schema), the errors the route declares, and those the pipeline gives any route (a token
refused, a scope missing, a body too large, a NUL in a parameter). Fault rules set through the
control plane are the one exception: they answer whatever status they were given.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from journeystack import __version__

from .errors import (
    ADMIN_NOT_AUTHENTICATED_SCHEMA,
    ERROR_SCHEMA,
    INSUFFICIENT_PRIVILEGES_SCHEMA,
    METHOD_NOT_ALLOWED_SCHEMA,
    NOT_AUTHENTICATED_SCHEMA,
    PAYLOAD_TOO_LARGE_SCHEMA,
    UNSUPPORTED_MEDIA_TYPE_SCHEMA,
)
from .routing import JSON, Answer, Route, Schema

_REQUEST_ID = {
    "description": "The request's id: the caller's X-Request-Id when it is 1-64 of [A-Za-z0-9._-], else a new one.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
}
_HEADERS = {"X-Request-Id": {"$ref": "#/components/headers/XRequestId"}}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_CHALLENGE = {"required": True, "schema": {"type": "string", "minLength": 1}}
_WRONG_METHOD = (
    "A method a path does not list answers 400 (not 405) with errorcode 30001, SFMC's \"Invalid "
    "Operation\", and an `Allow` header naming the methods of every path the request's path is one "
    "of (a literal such as `contactMembership` is also an `{id}`): `#/components/responses/"
    "InvalidOperation` (docs/differences.md). Under /interaction a valid token is needed first, as for "
    "every call there."
)
_DESCRIPTION = (
    "A self-hosted implementation of SFMC's /interaction/v1 API and /v2/token.\n\n"
    "No text in a request, JSON string, member name or parameter, may hold U+0000 (400): PostgreSQL "
    "cannot store it, and both stores answer alike.\n\n"
    + _WRONG_METHOD
    + "\n\nFault rules (`/_journeystack/faults`) make the calls they match answer the status "
    "and envelope they were given, whatever this document lists."
)


def _schema_ref(model: Schema, components: dict[str, Any]) -> dict[str, Any]:
    """A schema, registered as a component when it is a model or a dict with a `title` (so is
    every titled schema inside it, once however many routes share it)."""
    if isinstance(model, dict):
        registered: dict[str, Any] = _register(model, components)
        return registered
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = definition
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}
    raise TypeError(model)


def _register(schema: Any, components: dict[str, Any]) -> Any:
    if isinstance(schema, list):
        return [_register(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    inner = {name: _register(value, components) for name, value in schema.items()}
    title = schema.get("title")
    if not isinstance(title, str):
        return inner
    components[title] = inner
    return {"$ref": f"#/components/schemas/{title}"}


def _body(schema: dict[str, Any], media_type: str = JSON) -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def _answer(description: str | Answer, components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(description, str):
        return {"description": description, "headers": _HEADERS, "content": _body(_ERROR_REF)}
    entry: dict[str, Any] = {"description": description.description, "headers": _HEADERS}
    if description.schema is not None:
        entry["content"] = _body(_schema_ref(description.schema, components), description.media_type)
    return entry


def _parameters(route: Route) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for segment in route.segments():
        if "{" in segment:
            name = segment[segment.index("{") + 1 : -1]
            # Empty path segments are dropped when routing, so a parameter is never empty.
            schema = route.path_params.get(name, {"type": "string", "minLength": 1})
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, schema in route.query_schemas().items():
        required = name in route.required_query
        parameters.append({"name": name, "in": "query", "required": required, "schema": schema})
    return parameters


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    parameters = _parameters(route)
    declared = dict(route.responses)
    success = declared.pop(route.status, "OK")
    ok: dict[str, Any] = {
        "description": success if isinstance(success, str) else success.description,
        "headers": _HEADERS,
    }
    # A success declared as an Answer without a schema has no body (stop, event-definition DELETE).
    if route.status != 304 and not (isinstance(success, Answer) and success.schema is None):
        schema = {} if route.response_schema is None else _schema_ref(route.response_schema, components)
        ok["content"] = _body(schema, route.media_type)
    if route.links:
        ok["links"] = route.links
    responses: dict[str, Any] = {str(route.status): ok}
    for status, description in sorted(declared.items()):
        entry = _answer(description, components)
        if status == 304:
            entry.pop("content", None)  # HTTP forbids a body on 304
        responses[str(status)] = entry
    if (parameters or route.request_schema is not None) and "400" not in responses:
        responses["400"] = _answer(
            "Malformed request: validationErrors name the parameter or member.", components
        )
    if route.authenticated:
        responses["401"] = {"$ref": "#/components/responses/NotAuthorized"}
        if route.scopes or route.strict_scopes:
            needed = [", ".join(route.scopes)] if route.scopes else []
            if route.strict_scopes:
                needed.append(f"with JOURNEYSTACK_STRICT_SCOPES, {', '.join(route.strict_scopes)}")
            responses["403"] = _answer(
                Answer(f"Insufficient Privileges: the token lacks a scope the route needs ({'; '.join(needed)}).",
                       INSUFFICIENT_PRIVILEGES_SCHEMA),
                components,
            )  # fmt: skip
    if route.admin:
        responses["401"] = {"$ref": "#/components/responses/AdminTokenRequired"}
    responses["413"] = {"$ref": "#/components/responses/PayloadTooLarge"}
    if route.refuses_other_media_types():
        responses["415"] = {"$ref": "#/components/responses/UnsupportedMediaType"}
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": parameters,
        "responses": dict(sorted(responses.items())),
    }
    if route.request_schema is not None:
        operation["requestBody"] = {
            "required": not route.body_optional,
            "content": _body(_schema_ref(route.request_schema, components), route.request_media_type),
        }
    if route.authenticated:
        operation["security"] = [{"bearer": []}]
    if route.admin:
        operation["security"] = [{"adminBearer": []}, {"adminHeader": []}]
    return operation


def build_openapi(routes: list[Route]) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(route, components)
    responses = _shared_responses(components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "journeystack: Journey Builder Interaction API",
            "version": __version__,
            "description": _DESCRIPTION,
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "headers": {"XRequestId": _REQUEST_ID},
            "responses": responses,
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


def _shared_responses(components: dict[str, Any]) -> dict[str, Any]:
    """Answers every route of a kind can give, whatever the route: `$ref`ed from its operations."""
    return {
        "NotAuthorized": {
            "description": "Not Authorized: a missing, unknown or expired token.",
            "headers": {**_HEADERS, "WWW-Authenticate": _CHALLENGE},
            "content": _body(_schema_ref(NOT_AUTHENTICATED_SCHEMA, components)),
        },
        "AdminTokenRequired": {
            "description": "The admin token is missing or wrong (errorcode 90001); SFMC tokens never open "
            "the control plane.",
            "headers": {**_HEADERS, "WWW-Authenticate": _CHALLENGE},
            "content": _body(_schema_ref(ADMIN_NOT_AUTHENTICATED_SCHEMA, components)),
        },
        "UnsupportedMediaType": {
            "description": "The body was sent with a Content-Type other than JSON (errorcode 415); a "
            "body without a Content-Type is read as JSON.",
            "headers": _HEADERS,
            "content": _body(_schema_ref(UNSUPPORTED_MEDIA_TYPE_SCHEMA, components)),
        },
        "PayloadTooLarge": {
            "description": "The body is over JOURNEYSTACK_MAX_BODY_BYTES (errorcode 10000).",
            "headers": _HEADERS,
            "content": _body(_schema_ref(PAYLOAD_TOO_LARGE_SCHEMA, components)),
        },
        "InvalidOperation": {
            "description": _WRONG_METHOD,
            "headers": {
                **_HEADERS,
                "Allow": {
                    "description": "The methods the path lists, upper case, sorted, comma-separated.",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[A-Z]+(, [A-Z]+)*$"},
                },
            },
            "content": _body(_schema_ref(METHOD_NOT_ALLOWED_SCHEMA, components)),
        },
    }
