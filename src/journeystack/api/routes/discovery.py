"""GET /interaction/v1/rest: the discovery document, listing the routes journeystack implements;
and GET /, which points a person or a client at it, the OpenAPI document and the console."""

from __future__ import annotations

from typing import Any

from journeystack import __version__

from ..http import ApiRequest, ApiResponse, json_response
from ..routing import Route

DISCOVERY_SCHEMA: dict[str, Any] = {
    "title": "Discovery",
    "type": "object",
    "required": ["methods"],
    "additionalProperties": False,
    "properties": {
        "methods": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["path", "httpMethod", "description", "parameters"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string", "pattern": "^interaction/v1/"},
                    "httpMethod": {"enum": ["GET", "POST", "PUT", "DELETE"]},
                    "description": {"type": "string"},
                    "parameters": {
                        "type": "object",
                        "additionalProperties": {"const": {"location": "query"}},
                    },
                },
            },
        }
    },
}


def discovery_document(routes: list[Route]) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    for route in routes:
        if not route.template.lower().startswith("/interaction/v1/"):
            continue
        methods[route.operation_id] = {
            "path": route.template.lstrip("/"),
            "httpMethod": route.method,
            "description": route.summary,
            "parameters": {name: {"location": "query"} for name in route.query},
        }
    return {"methods": methods}


def route(routes: list[Route]) -> Route:
    """The discovery route itself; it lists `routes` and itself, and needs no token."""
    document: dict[str, Any] = {}

    def discovery(_request: ApiRequest) -> ApiResponse:
        return json_response(document)

    own = Route("GET", "/interaction/v1/rest", discovery, "discovery", "List the implemented methods (no token needed).",
                authenticated=False, scopes=(), tag="meta", response_schema=DISCOVERY_SCHEMA)  # fmt: skip
    document.update(discovery_document([*routes, own]))
    return own


ROOT_LINKS = {"openapi": "/openapi.json", "discovery": "/interaction/v1/rest", "console": "/console/"}
ROOT_SCHEMA: dict[str, Any] = {
    "title": "Root",
    "type": "object",
    "required": ["name", "version", "links"],
    "additionalProperties": False,
    "properties": {
        "name": {"const": "journeystack"},
        "version": {"type": "string"},
        "links": {
            "type": "object",
            "description": "Paths on this server: the OpenAPI document, the discovery document, the console.",
            "required": list(ROOT_LINKS),
            "additionalProperties": False,
            "properties": {name: {"const": path} for name, path in ROOT_LINKS.items()},
        },
    },
}


def root() -> Route:
    """GET /: where to go from here (no token needed)."""
    body = {"name": "journeystack", "version": __version__, "links": ROOT_LINKS}

    def answer(_request: ApiRequest) -> ApiResponse:
        return json_response(body)

    return Route("GET", "/", answer, "root", "Where to go from here: the OpenAPI document, discovery, the console.",
                 authenticated=False, scopes=(), tag="meta", response_schema=ROOT_SCHEMA)  # fmt: skip
