"""The runtime half of the Interaction API: fire entry events, contact membership and exit, journey
history."""

from __future__ import annotations

from typing import Any

from journeystack.services import runtime

from ..http import ApiRequest, ApiResponse, json_response, parse_json, parse_json_object, query_int
from ..routing import Route
from ..schemas.common import PAGE, TEXT, whole
from ..schemas.runtime import (
    BATCH_ANSWER_SCHEMA,
    BATCH_SCHEMA,
    ESTIMATE_SCHEMA,
    EVENT_SCHEMA,
    EXIT_ERRORS_SCHEMA,
    EXIT_SCHEMA,
    EXIT_STATUS_SCHEMA,
    FIRED_SCHEMA,
    FRESHNESS_SCHEMA,
    HISTORY_CSV_SCHEMA,
    HISTORY_FILTERS_SCHEMA,
    HISTORY_PAGE_SCHEMA,
    MEMBERSHIP_ANSWER_SCHEMA,
    MEMBERSHIP_SCHEMA,
    members_ci,
    parse_history_query,
    render_batch,
    render_history_page,
    render_membership,
)
from ..state import AppState
from .interactions import BASE

EVENTS = "/interaction/v1/events"
ASYNC_EVENTS = "/interaction/v1/async/events"
MAX_HISTORY_PAGE_SIZE = 10_000
CSV = "text/csv; charset=utf-8"


def routes(state: AppState) -> list[Route]:
    ctx = state.ctx
    depth = state.settings.max_json_depth
    download_rows = state.settings.history_download_max_rows

    def fire_event(request: ApiRequest) -> ApiResponse:
        body = members_ci(parse_json_object(request.body, max_depth=depth))
        instance_id = runtime.fire_event(
            ctx, request.mid, contact_key=body.get("contactkey"), event_key=body.get("eventdefinitionkey"),
            data=body.get("data"),
        )  # fmt: skip
        return json_response({"eventInstanceId": instance_id}, 201)

    def fire_batch(request: ApiRequest) -> ApiResponse:
        body = members_ci(parse_json_object(request.body, max_depth=depth))
        result = runtime.fire_batch(
            ctx, request.mid, event_key=body.get("eventdefinitionkey"), members=body.get("members")
        )
        return json_response(render_batch(result), 202)

    def membership(request: ApiRequest) -> ApiResponse:
        body = members_ci(parse_json_object(request.body, max_depth=depth))
        found, not_found = runtime.contact_membership(ctx, request.mid, body.get("contactkeylist"))
        return json_response(render_membership(found, not_found))

    def contact_exit(request: ApiRequest) -> ApiResponse:
        items = runtime.parse_exit_items(parse_json(request.body, max_depth=depth))
        return json_response({"errors": runtime.request_exits(ctx, request.mid, items)}, 202)

    def exit_status(request: ApiRequest) -> ApiResponse:
        items = runtime.parse_exit_items(parse_json(request.body, max_depth=depth))
        return json_response(runtime.exit_statuses(ctx, request.mid, items))

    def _history_query(request: ApiRequest) -> Any:
        body = parse_json_object(request.body, max_depth=depth) if request.body.strip() else {}
        return parse_history_query(request.mid, body, request.query.get("orderby"))

    def search(request: ApiRequest) -> ApiResponse:
        page = runtime.search_history(
            ctx, _history_query(request), query_int(request.query, "$page") or 1,
            query_int(request.query, "$pageSize", maximum=MAX_HISTORY_PAGE_SIZE) or 50,
        )  # fmt: skip
        return json_response(render_history_page(page))

    def download(request: ApiRequest) -> ApiResponse:
        columns = runtime.download_columns(request.query.get("columns"))
        text = runtime.download_history(ctx, _history_query(request), columns, download_rows)
        return ApiResponse(200, text.encode("utf-8"), {"Content-Type": CSV})

    def estimate(request: ApiRequest) -> ApiResponse:
        columns = runtime.download_columns(request.query.get("columns"))
        rows, text_bytes = runtime.estimate_history(ctx, _history_query(request))
        per_row = 24 * len(columns)  # separators, times and ids beyond the text columns
        size = text_bytes + rows * per_row
        return json_response(
            {"rowCount": rows, "fileSizeInBytes": size, "compressedFileSizeInBytes": size // 8 if size else 0}
        )

    def freshness(_request: ApiRequest) -> ApiResponse:
        # journeystack writes history in the step's own transaction: it never trails.
        return json_response({"freshnessInSeconds": 0})

    history_query = {
        "$page": PAGE, "$pageSize": whole(MAX_HISTORY_PAGE_SIZE),
        "$orderBy": {"type": "string", "pattern": "^TransactionTime( (asc|desc))?$", "description": "Any case."},
    }  # fmt: skip
    download_query = {"columns": TEXT, "format": TEXT}
    bad = {400: "Malformed body (validationErrors name the member)."}
    return [
        Route("POST", EVENTS, fire_event, "postInteractionsEvents",
              "Fire an entry event for one contact (201 {eventInstanceId}); the engine admits the contact "
              "into every journey whose Published version it triggers.", request_schema=EVENT_SCHEMA,
              responses={201: "Accepted: {eventInstanceId}.",
                         400: "Unknown EventDefinitionKey, missing ContactKey, or Data that does not fit the "
                              "event's schema (the message names the field)."}, tag="runtime", status=201,
              response_schema=FIRED_SCHEMA),
        Route("POST", ASYNC_EVENTS, fire_batch, "postInteractionsAsyncEvents",
              "Fire an entry event for up to 100 contacts (202); also releases Wait Until API Event waits.",
              request_schema=BATCH_SCHEMA, responses={202: "Queued: requestId, count, notQueuedCount, members.",
                                                      400: "Unknown eventDefinitionKey, or more than 100 members (10000)."},
              tag="runtime", status=202, response_schema=BATCH_ANSWER_SCHEMA),
        Route("POST", f"{BASE}/contactMembership", membership, "getContactMembership",
              "The journeys and versions each contact (up to 50) is in now.", request_schema=MEMBERSHIP_SCHEMA,
              responses=bad, tag="runtime", response_schema=MEMBERSHIP_ANSWER_SCHEMA),
        Route("POST", f"{BASE}/contactexit", contact_exit, "contactExit",
              "Remove up to 50 contacts from journeys (202 {errors}); the engine carries it out next.",
              request_schema=EXIT_SCHEMA, responses={202: "Accepted, with per-contact errors.", **bad}, tag="runtime",
              status=202, response_schema=EXIT_ERRORS_SCHEMA),
        Route("POST", f"{BASE}/contactexit/status", exit_status, "contactExitStatus",
              "Where each contact's exit request stands.", request_schema=EXIT_SCHEMA, responses=bad, tag="runtime",
              response_schema=EXIT_STATUS_SCHEMA),
        Route("POST", f"{BASE}/journeyhistory/search", search, "searchJourneyHistory",
              "Journey history, newest first, filtered (count capped at 10,000 as SFMC's).", query=history_query,
              request_schema=HISTORY_FILTERS_SCHEMA, responses=bad, tag="runtime", blocking=True,
              body_optional=True, response_schema=HISTORY_PAGE_SCHEMA),
        Route("POST", f"{BASE}/journeyhistory/download", download, "downloadJourneyHistory",
              "Journey history as CSV, oldest first (`columns` picks and orders the columns).",
              query=download_query, request_schema=HISTORY_FILTERS_SCHEMA, responses=bad, tag="runtime",
              blocking=True, body_optional=True, response_schema=HISTORY_CSV_SCHEMA, media_type="text/csv"),
        Route("POST", f"{BASE}/journeyhistory/estimate", estimate, "estimateJourneyHistoryDownload",
              "Rows and approximate bytes a download would carry.", query=download_query,
              request_schema=HISTORY_FILTERS_SCHEMA, responses=bad, tag="runtime", blocking=True,
              body_optional=True, response_schema=ESTIMATE_SCHEMA),
        Route("GET", f"{BASE}/journeyhistory/freshness", freshness, "getJourneyHistoryFreshness",
              "Seconds by which history trails the engine (always 0).", tag="runtime",
              response_schema=FRESHNESS_SCHEMA),
    ]  # fmt: skip
