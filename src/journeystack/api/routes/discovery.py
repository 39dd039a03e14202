"""GET /interaction/v1/rest: the discovery document, in SFMC's form.

SFMC's documented document ("GET /interaction/v1/rest") lists its methods by name, each with a
`path` relative to /interaction/v1, a lower-case `httpMethod`, a description and `parameters` ({}
or parameter descriptions). journeystack answers that document as SFMC publishes it, the methods it
does not implement included, then every other /interaction/v1 route it implements (pause, resume,
audit, validate, contact exit, journey history, ...) in the same form under its operation id.

GET / points a person or a client at it, the OpenAPI document and the console.
"""

from __future__ import annotations

from typing import Any, Final

from journeystack import __version__

from ..http import ApiRequest, ApiResponse, json_response
from ..routing import Route

PREFIX: Final = "/interaction/v1/"
_JOURNEY_ID: Final = {"id": "String id of the journey"}

# name: (path, httpMethod, description, parameters), in the order SFMC's document lists them.
SFMC_METHODS: Final[dict[str, tuple[str, str, str, dict[str, str]]]] = {
    "discovery": ("rest", "get", "Returns discovery document", {}),
    "postInteraction": ("interactions", "post", "Create or save a journey", {}),
    "updateInteraction": ("interactions", "put", "Update a journey version", {}),
    "updateInteractionByKey": ("interactions/key:{key}", "put", "Update a journey version", {}),
    "updateInteractionById": ("interactions/{id}", "put", "Update a journey version", {}),
    "publishInteractionById": (
        "interactions/publishAsync/{id}", "post", "Publish a journey version asynchronously", {}
    ),
    "publishInteractionByKey": (
        "interactions/publishAsync/key:{key}", "post", "Publish a journey version asynchronously", {}
    ),
    "publishStatus": ("interactions/publishStatus/{id}", "get", "Check the status of a publication", {}),
    "stop": ("interactions/stop/{id}", "post", "Stops a running journey.", {}),
    "stopByKey": ("interactions/stop/key:{key}", "post", "Stops a running journey.", {}),
    "getGoalStatistics": ("goalstatistics/{id}", "get", "Retrieve goal statistics for a journey", _JOURNEY_ID),
    "postGoalStatistics": (
        "goalstatistics/clear/{id}", "post", "Clear goal statistics for a journey", _JOURNEY_ID
    ),
    "getInteraction": ("interactions/{id}", "get", "Retrieve a journey.", {}),
    "deleteInteraction": ("interactions/{id}", "delete", "Delete a journey.", {}),
    "deleteInteractionByKey": ("interactions/key:{key}", "delete", "Delete a journey.", {}),
    "getInteractionCollection": ("interactions", "get", "Retrieve a collection of journeys.", {}),
    "getWaitStatistics": (
        "waitstatistics/{id}", "get", "Retrieve wait activity counts for a journey", _JOURNEY_ID
    ),
    "getJourneyMap": ("map", "get", "Get a Journey Map.", {}),
    "createUpdateJourneyMap": ("map", "post", "Create/update a Journey Map.", {}),
    "searchTraceEvents": (
        "interactions/traceevents/search", "post", "Search for trace events stored in ElasticSearch", {}
    ),
    "getTriggerStatistics": (
        "triggerstats/{eventDefinitionID}", "get", "Retrieve trigger statistics",
        {"eventDefinitionID": "Event definition Id"},
    ),
    "createTriggerTest": ("interactions/triggerTest/{eventDefinitionId}", "post", "Create a trigger test", {}),
    "updateTriggerTest": ("interactions/triggerTest/{eventDefinitionId}", "put", "Update a trigger test", {}),
    "deleteTriggerTest": ("interactions/triggerTest/{eventDefinitionId}", "delete", "Delete a trigger test", {}),
    "postEventDefinition": ("eventDefinitions", "post", "Create an event definition", {}),
    "updateEventDefinitionById": ("eventDefinitions/{id}", "put", "Update an event definition by ID", {}),
    "updateEventDefinitionByKey": ("eventDefinitions/key:{key}", "put", "Update an event definition by key", {}),
    "getEventDefinitionByKey": ("eventDefinitions/key:{key}", "get", "Get an event definition by key", {}),
    "getEventDefinitionById": ("eventDefinitions/{id}", "get", "Get an event definition by id", {}),
    "getEventDefinitionCollection": (
        "eventDefinitions", "get", "Retrieve a collection of  event definitions.", {}
    ),
    "deleteEventDefinitionById": ("eventDefinitions/{id}", "delete", "Delete an event definition by id", {}),
    "deleteEventDefinitionByKey": (
        "eventDefinitions/key:{key}", "delete", "Delete an event definition by key", {}
    ),
    "postInteractionsEvents": ("events", "post", "Post an event to journeys", {}),
    "getHistory": ("history", "get", "Retrieve a collection of history", {}),
}  # fmt: skip


def _shape(path: str) -> str:
    """A path with its parameters' names blanked: `interactions/{id}` and `.../{statusId}` match."""
    return "/".join(
        segment[: segment.index("{")] + "{}" if "{" in segment else segment.lower()
        for segment in path.split("/")
    )


# What `discovery_document` answers: SFMC's form (paths relative to /interaction/v1, lower-case
# httpMethod, parameters {} or described by name).
DISCOVERY_SCHEMA: Final[dict[str, Any]] = {
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
                    "path": {"type": "string", "minLength": 1},
                    "httpMethod": {"enum": ["get", "post", "put", "delete"]},
                    "description": {"type": "string"},
                    "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        }
    },
}


def discovery_document(routes: list[Route]) -> dict[str, Any]:
    methods: dict[str, Any] = {
        name: {"path": path, "httpMethod": method, "description": text, "parameters": dict(parameters)}
        for name, (path, method, text, parameters) in SFMC_METHODS.items()
    }
    documented = {(method, _shape(path)) for path, method, _, _ in SFMC_METHODS.values()}
    for route in routes:
        if not route.template.lower().startswith(PREFIX) or route.admin:
            continue
        path = route.template[len(PREFIX) :]
        method = route.method.lower()
        if (method, _shape(path)) in documented or route.operation_id in methods:
            continue
        methods[route.operation_id] = {
            "path": path,
            "httpMethod": method,
            "description": route.summary,
            "parameters": {},
        }
    return {"methods": methods}


def route(routes: list[Route]) -> Route:
    """The discovery route itself; it lists SFMC's documented methods and `routes`, and needs no token."""
    document: dict[str, Any] = {}

    def discovery(_request: ApiRequest) -> ApiResponse:
        return json_response(document)

    own = Route("GET", "/interaction/v1/rest", discovery, "discovery", "The discovery document (no token needed).",
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
