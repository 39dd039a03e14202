"""/interaction/v1/eventDefinitions: the entry events journeys' triggers refer to."""

from __future__ import annotations

from journeystack.domain.queries import MAX_PAGE_SIZE
from journeystack.services import events

from ..http import ApiRequest, ApiResponse, json_response, parse_json_object, query_int
from ..routing import Route
from ..schemas.common import EXTRAS, PAGE, PAGE_SIZE, TEXT
from ..schemas.events import (
    EVENT_DEFINITION_PAGE_SCHEMA,
    EVENT_DEFINITION_SCHEMA,
    EventDefinitionCreate,
    EventDefinitionUpdate,
    parse_create,
    parse_update,
    render,
    render_page,
)
from ..state import AppState
from .interactions import user_of

BASE = "/interaction/v1/eventDefinitions"


def _selector(request: ApiRequest) -> dict[str, str]:
    if "key" in request.params:
        return {"key": request.params["key"]}
    return {"event_id": request.params["id"].lower()}


def routes(state: AppState) -> list[Route]:
    ctx = state.ctx
    depth = state.settings.max_json_depth

    def list_events(request: ApiRequest) -> ApiResponse:
        page = events.list_event_definitions(
            ctx, request.mid, name=request.query.get("name") or None,
            page=query_int(request.query, "$page") or 1,
            page_size=query_int(request.query, "$pageSize", maximum=MAX_PAGE_SIZE) or 50,
        )  # fmt: skip
        return json_response(render_page(page))

    def get_event(request: ApiRequest) -> ApiResponse:
        return json_response(render(*events.get_event_definition(ctx, request.mid, **_selector(request))))

    def create_event(request: ApiRequest) -> ApiResponse:
        model, members = parse_create(parse_json_object(request.body, max_depth=depth))
        created = events.create_event_definition(
            ctx, request.mid, key=model.eventDefinitionKey, name=model.name, type_=model.type, body=members,
            user=user_of(request),
        )  # fmt: skip
        return json_response(render(created, 0, 0))

    def update_event(request: ApiRequest) -> ApiResponse:
        model, members = parse_update(parse_json_object(request.body, max_depth=depth))
        events.update_event_definition(
            ctx, request.mid, changes=members, new_key=model.eventDefinitionKey, new_name=model.name,
            new_type=model.type, user=user_of(request), **_selector(request),
        )  # fmt: skip
        key = model.eventDefinitionKey or request.params.get("key")
        found = {"key": key} if key else _selector(request)
        return json_response(render(*events.get_event_definition(ctx, request.mid, **found)))

    def delete_event(request: ApiRequest) -> ApiResponse:
        events.delete_event_definition(ctx, request.mid, **_selector(request))
        return json_response(True)

    not_found = {
        400: "Event definition not found (errorcode 30003; mcdev expects a 400), or a malformed request."
    }
    in_use = {**not_found, 409: "Used by a running journey (30002) or key taken (30004)."}
    one = {"extras": EXTRAS}
    paged = {"$page": PAGE, "$pageSize": PAGE_SIZE, "name": TEXT, "extras": EXTRAS}
    links = {
        "GetById": {"operationId": "getEventDefinitionById", "parameters": {"path.id": "$response.body#/id"}},
        "GetByKey": {
            "operationId": "getEventDefinitionByKey",
            "parameters": {"path.key": "$response.body#/eventDefinitionKey"},
        },
        "UpdateById": {
            "operationId": "updateEventDefinitionById",
            "parameters": {"path.id": "$response.body#/id"},
        },
        "Fire": {
            "operationId": "postInteractionsEvents",
            "requestBody": {"EventDefinitionKey": "$response.body#/eventDefinitionKey"},
        },
        "FireBatch": {
            "operationId": "postInteractionsAsyncEvents",
            "requestBody": {"eventDefinitionKey": "$response.body#/eventDefinitionKey"},
        },
        "DeleteById": {
            "operationId": "deleteEventDefinitionById",
            "parameters": {"path.id": "$response.body#/id"},
        },
    }
    routes = [
        Route("GET", BASE, list_events, "getEventDefinitionCollection", "List event definitions.", query=paged,
              response_schema=EVENT_DEFINITION_PAGE_SCHEMA, tag="events"),
        Route("POST", BASE, create_event, "postEventDefinition", "Create an event definition.",
              strict_scopes=("journeys_write",), request_schema=EventDefinitionCreate,
              response_schema=EVENT_DEFINITION_SCHEMA, responses=in_use, tag="events", links=links),
    ]  # fmt: skip
    for path, name in (("key:{key}", "ByKey"), ("{id}", "ById")):
        routes += [
            Route("GET", f"{BASE}/{path}", get_event, f"getEventDefinition{name}", "Get an event definition.",
                  query=one, response_schema=EVENT_DEFINITION_SCHEMA, responses=not_found, tag="events"),
            Route("PUT", f"{BASE}/{path}", update_event, f"updateEventDefinition{name}", "Update an event definition.",
                  strict_scopes=("journeys_write",), request_schema=EventDefinitionUpdate,
                  response_schema=EVENT_DEFINITION_SCHEMA, responses=in_use, tag="events", links=links),
            Route("DELETE", f"{BASE}/{path}", delete_event, f"deleteEventDefinition{name}",
                  "Delete an event definition.", strict_scopes=("journeys_delete",), response_schema={"const": True},
                  responses=in_use, tag="events"),
        ]  # fmt: skip
    return routes
