"""/messaging/v1/email/definitions: the transactional email definitions of the business unit's
transactional-send journeys, read-only (domain/transactional.py). mcdev caches them whenever it
deploys a transactional-send journey, and reads the one a journey names after publishing it."""

from __future__ import annotations

from typing import Any

from journeystack.domain.dates import format_ms
from journeystack.domain.queries import MAX_PAGE_SIZE
from journeystack.domain.transactional import CLASSIFICATION, EmailDefinition
from journeystack.services import transactional

from ..http import ApiRequest, ApiResponse, json_response, query_int
from ..routing import Route
from ..schemas.common import PAGE, PAGE_SIZE, SFMC_DATE, TEXT, closed
from ..state import AppState

BASE = "/messaging/v1/email/definitions"


def _summary(d: EmailDefinition) -> dict[str, Any]:
    return {
        "name": d.name,
        "definitionKey": d.key,
        "status": d.status,
        "createdDate": format_ms(d.created_ms),
        "modifiedDate": format_ms(d.modified_ms),
    }


def _full(d: EmailDefinition, request_id: str) -> dict[str, Any]:
    subscriptions: dict[str, Any] = {
        "autoAddSubscriber": d.auto_add_subscriber,
        "updateSubscriber": d.update_subscriber,
    }
    if d.data_extension_id is not None:
        subscriptions = {"dataExtension": d.data_extension_id, **subscriptions}
    return {
        "requestId": request_id,
        "name": d.name,
        "definitionKey": d.key,
        "definitionId": d.id,
        "description": d.description,
        "classification": CLASSIFICATION,
        "status": d.status,
        "createdDate": format_ms(d.created_ms),
        "modifiedDate": format_ms(d.modified_ms),
        "subscriptions": subscriptions,
        "options": {"trackLinks": d.track_links},
        "journey": {"interactionKey": d.journey_key},
    }


_STATUS: dict[str, Any] = {"enum": ["Active", "Inactive"]}
SUMMARY_SCHEMA: dict[str, Any] = {
    "title": "EmailDefinitionSummary",
    **closed({"name": TEXT, "definitionKey": TEXT, "status": _STATUS, "createdDate": SFMC_DATE,
              "modifiedDate": SFMC_DATE}),
}  # fmt: skip
DEFINITIONS_SCHEMA: dict[str, Any] = {
    "title": "EmailDefinitions",
    **closed({"requestId": TEXT, "definitions": {"type": "array", "items": SUMMARY_SCHEMA},
              "count": {"type": "integer", "minimum": 0}, "page": PAGE, "pageSize": PAGE_SIZE}),
}  # fmt: skip
DEFINITION_SCHEMA: dict[str, Any] = {
    "title": "EmailDefinition",
    **closed({
        "requestId": TEXT, "name": TEXT, "definitionKey": TEXT, "definitionId": TEXT, "description": TEXT,
        "classification": TEXT, "status": _STATUS, "createdDate": SFMC_DATE, "modifiedDate": SFMC_DATE,
        "subscriptions": closed({"dataExtension": TEXT, "autoAddSubscriber": {"type": "boolean"},
                                 "updateSubscriber": {"type": "boolean"}}, optional=("dataExtension",)),
        "options": closed({"trackLinks": {"type": "boolean"}}),
        "journey": closed({"interactionKey": TEXT}),
    }),
}  # fmt: skip


def routes(state: AppState) -> list[Route]:
    ctx = state.ctx

    def list_definitions(request: ApiRequest) -> ApiResponse:
        page = query_int(request.query, "$page") or 1
        size = query_int(request.query, "$pageSize", maximum=MAX_PAGE_SIZE) or 50
        found = transactional.email_definitions(ctx, request.mid)[(page - 1) * size : page * size]
        # SFMC's `count` is the number of definitions on this page, not the total (sfmc-sdk works
        # around it: it pages on while count equals pageSize).
        return json_response(
            {"requestId": request.request_id, "definitions": [_summary(d) for d in found],
             "count": len(found), "page": page, "pageSize": size}
        )  # fmt: skip

    def get_definition(request: ApiRequest) -> ApiResponse:
        found = transactional.email_definition(ctx, request.mid, request.params["definitionKey"])
        return json_response(_full(found, request.request_id))

    return [
        Route("GET", BASE, list_definitions, "getEmailDefinitions",
              "Transactional email definitions (those of Published and Paused transactional-send journeys).",
              scopes=(), strict_scopes=("email_read",), query={"$page": PAGE, "$pageSize": PAGE_SIZE, "$filter": TEXT},
              response_schema=DEFINITIONS_SCHEMA, tag="transactional"),
        Route("GET", f"{BASE}/{{definitionKey}}", get_definition, "getEmailDefinition",
              "One transactional email definition.", scopes=(), strict_scopes=("email_read",),
              response_schema=DEFINITION_SCHEMA, responses={404: "No such definition (errorcode 30003)."},
              tag="transactional"),
    ]  # fmt: skip
