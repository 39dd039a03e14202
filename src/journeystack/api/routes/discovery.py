"""GET /interaction/v1/rest: the discovery document, listing the routes journeystack implements."""

from __future__ import annotations

from typing import Any

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
