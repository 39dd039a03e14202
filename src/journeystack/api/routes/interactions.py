"""/interaction/v1/interactions: create, read, list, update and delete journey versions."""

from __future__ import annotations

import math
from typing import Any

from journeystack.domain.queries import MAX_PAGE_SIZE, JourneyQuery, OrderColumn
from journeystack.errors import InvalidRequest, Problem
from journeystack.services import journeys

from ..http import ApiRequest, ApiResponse, json_response, parse_json_object, query_bool, query_int
from ..routing import Answer, Route
from ..schemas.common import EXTRAS, FLAG, GUID, PAGE, PAGE_SIZE, TEXT, VERSION_NUMBER
from ..schemas.journeys import (
    JOURNEY_PAGE_SCHEMA,
    JOURNEY_SCHEMA,
    JourneyCreate,
    JourneyUpdate,
    parse_create,
    parse_extras,
    parse_update,
    render,
    render_page,
    render_stored,
)
from ..state import AppState

BASE = "/interaction/v1/interactions"


# What a journey version answer leads to (OpenAPI links; the stateful schemathesis run follows them):
# read it back by id and by key, update it with the modifiedDate it carries, publish or validate it,
# stop, pause or resume it, read its audit log, delete it.
_ID = {"path.id": "$response.body#/id"}
_VERSION = {**_ID, "query.versionNumber": "$response.body#/version"}
JOURNEY_LINKS: dict[str, dict[str, Any]] = {
    "GetById": {"operationId": "getInteraction", "parameters": _VERSION},
    "GetByKey": {"operationId": "getInteractionByKey", "parameters": {"path.key": "$response.body#/key"}},
    "UpdateById": {
        "operationId": "updateInteractionById",
        "parameters": _VERSION,
        "requestBody": {
            member: f"$response.body#/{member}"
            for member in ("key", "name", "workflowApiVersion", "version", "modifiedDate")
        },
    },
    "Publish": {"operationId": "publishInteractionById", "parameters": _VERSION},
    "Validate": {"operationId": "validateInteractionById", "parameters": _VERSION},
    "Stop": {"operationId": "stopById", "parameters": _VERSION},
    "Pause": {"operationId": "pauseById", "parameters": _VERSION},
    "Resume": {"operationId": "resumeById", "parameters": _VERSION},
    "Audit": {"operationId": "getAuditLogById", "parameters": {**_ID, "path.action": "all"}},
    "Delete": {"operationId": "deleteInteraction", "parameters": _VERSION},
}


def selector(request: ApiRequest) -> dict[str, str]:
    if "key" in request.params:
        return {"key": request.params["key"]}
    return {"journey_id": request.params["id"].lower()}


def user_of(request: ApiRequest) -> str:
    """Who the audit log names: the installed package the token was issued to."""
    return request.grant.client_id if request.grant else "journeystack"


def _order(raw: str | None) -> tuple[OrderColumn, bool]:
    if not raw:
        return OrderColumn.MODIFIED_DATE, True
    words = raw.replace(",", " ").split()
    column = {"modifieddate": OrderColumn.MODIFIED_DATE, "name": OrderColumn.NAME}.get(words[0].lower())
    direction = words[1].lower() if len(words) > 1 else "asc"
    if column is None or direction not in ("asc", "desc") or len(words) > 2:
        raise InvalidRequest(
            [Problem("$orderBy must be ModifiedDate or Name, then ASC or DESC.", 10005, "$orderBy")]
        )
    return column, direction == "desc"


def _api_version(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidRequest(
            [Problem("specificApiVersionNumber must be a number.", 10005, "specificApiVersionNumber")]
        )
    return value


def routes(state: AppState) -> list[Route]:
    ctx = state.ctx
    depth = state.settings.max_json_depth

    def list_interactions(request: ApiRequest) -> ApiResponse:
        q = request.query
        column, descending = _order(q.get("orderby"))
        query = JourneyQuery(
            page=query_int(q, "$page") or 1,
            page_size=query_int(q, "$pageSize", maximum=MAX_PAGE_SIZE) or 50,
            most_recent_version_only=query_bool(q, "mostRecentVersionOnly", True),
            journey_id=(q.get("id") or "").lower() or None,
            key=q.get("key") or None,
            status=q.get("status") or None,
            name_or_description=q.get("nameordescription") or None,
            definition_type=q.get("definitiontype") or None,
            workflow_api_version=_api_version(q.get("specificapiversionnumber")),
            order_by=column,
            descending=descending,
        )
        extras = parse_extras(q.get("extras"))
        activities = bool(extras & {"activities", "activity", "all"})
        page, stats = journeys.list_journeys_with_stats(
            ctx, request.mid, query, with_stats=bool(extras & {"stats", "all"})
        )
        return json_response(render_page(page, activities=activities, stats=stats))

    def create_interaction(request: ApiRequest) -> ApiResponse:
        definition = parse_create(parse_json_object(request.body, max_depth=depth))
        return json_response(
            render(journeys.create_journey(ctx, request.mid, definition, user=user_of(request)))
        )

    def get_interaction(request: ApiRequest) -> ApiResponse:
        extras = parse_extras(request.query.get("extras"))
        found = journeys.read_journey(
            ctx, request.mid, version=query_int(request.query, "versionNumber"),
            with_stats=bool(extras & {"stats", "all"}), **selector(request),
        )  # fmt: skip
        return ApiResponse(200, render_stored(found))

    def update_interaction(request: ApiRequest) -> ApiResponse:
        definition, version, seen = parse_update(parse_json_object(request.body, max_depth=depth))
        journey_id = request.params["id"].lower() if "id" in request.params else None
        updated = journeys.update_journey(
            ctx,
            request.mid,
            definition,
            version=version,
            seen_modified=seen,
            journey_id=journey_id,
            query_version=query_int(request.query, "versionNumber"),
            path_key=request.params.get("key"),
            user=user_of(request),
        )
        return json_response(render(updated))

    def delete_interaction(request: ApiRequest) -> ApiResponse:
        journey_id = journeys.delete_journey(
            ctx,
            request.mid,
            version=query_int(request.query, "versionNumber"),
            user=user_of(request),
            **selector(request),
        )
        return json_response(journey_id)

    put_responses: dict[int, str | Answer] = {
        304: Answer("No change: the body matches the stored version (no body)."),
        400: "Malformed request (errorcode 400) or stale modifiedDate (errorcode 30000).",
        404: "Interaction not found (errorcode 30003).",
        409: "The version is not Draft or an operation is in flight on it (errorcode 409).",
    }
    get_responses = {404: "Interaction matching criteria not found (errorcode 30003)."}
    delete_responses = {404: "Interaction not found.", 409: "The version is running (errorcode 30002)."}
    list_query = {
        "$page": PAGE, "$pageSize": PAGE_SIZE, "mostRecentVersionOnly": FLAG, "id": TEXT, "key": TEXT,
        "status": TEXT, "nameOrDescription": TEXT, "definitionType": TEXT,
        "specificApiVersionNumber": {"type": "number"},
        "$orderBy": {"type": "string", "pattern": "^(ModifiedDate|Name)( (ASC|DESC))?$",
                     "description": "Any case; ModifiedDate DESC when absent."},
        "extras": EXTRAS,
    }  # fmt: skip
    one_query = {"versionNumber": VERSION_NUMBER, "extras": EXTRAS}
    version_query = {"versionNumber": VERSION_NUMBER}
    routes = [
        Route(
            "GET",
            BASE,
            list_interactions,
            "getInteractionCollection",
            "List journeys (latest version of each by default).",
            query=list_query,
            # A page of up to 500 journeys, documents included with extras: read and rendered in
            # a worker thread, never on the event loop (tests/api/test_liveness.py).
            blocking=True,
            response_schema=JOURNEY_PAGE_SCHEMA,
            responses={400: "A malformed parameter, or a page over JOURNEYSTACK_MAX_RESPONSE_BYTES."},
        ),
        Route(
            "POST",
            BASE,
            create_interaction,
            "postInteraction",
            "Create a journey, or version n+1 of a non-Draft one.",
            strict_scopes=("journeys_write",),
            request_schema=JourneyCreate,
            response_schema=JOURNEY_SCHEMA,
            responses={
                400: "Malformed body (400), a Journey Spec problem (10006) or an unknown categoryId (10005).",
                409: "A Draft version exists (errorcode 30004).",
            },
            links=JOURNEY_LINKS,
        ),
        Route(
            "PUT",
            BASE,
            update_interaction,
            "updateInteraction",
            "Update a Draft journey version.",
            strict_scopes=("journeys_write",),
            query=version_query,
            request_schema=JourneyUpdate,
            response_schema=JOURNEY_SCHEMA,
            responses=put_responses,
            links=JOURNEY_LINKS,
        ),
    ]
    # SFMC's discovery names: getInteraction/deleteInteraction by id, ...ByKey by key, updateInteractionById.
    for path, by, get_name, delete_name in (
        ("key:{key}", "key", "getInteractionByKey", "deleteInteractionByKey"),
        ("{id}", "id", "getInteraction", "deleteInteraction"),
    ):
        routes += [
            Route("GET", f"{BASE}/{path}", get_interaction, get_name, f"Get a journey version by {by}.",
                  query=one_query, response_schema=JOURNEY_SCHEMA, responses=get_responses, links=JOURNEY_LINKS),
            Route("PUT", f"{BASE}/{path}", update_interaction, f"updateInteractionBy{by.title()}",
                  f"Update a Draft journey version by {by}.", strict_scopes=("journeys_write",),
                  query=version_query, request_schema=JourneyUpdate, response_schema=JOURNEY_SCHEMA,
                  responses=put_responses, links=JOURNEY_LINKS),
            Route("DELETE", f"{BASE}/{path}", delete_interaction, delete_name,
                  f"Delete one version, or all versions, by {by}; answers the journey's id.",
                  strict_scopes=("journeys_delete",), query=version_query, response_schema=GUID,
                  responses=delete_responses),
        ]  # fmt: skip
    return routes
