"""/_journeystack/clock, /outbox and /contacts: the engine's clock, the messages journeys "sent", and
contact attributes. Admin token required, like the rest of the control plane."""

from __future__ import annotations

from typing import Any

from journeystack.domain.queries import MAX_BIG_INTEGER
from journeystack.domain.runtime.records import OutboxQuery
from journeystack.errors import Problem, refused
from journeystack.services import runtime
from journeystack.services.clock import parse_duration
from journeystack.services.engine import Engine

from ..http import ApiRequest, ApiResponse, json_response, parse_json_object, query_int
from ..routing import Handler, Route
from ..schemas.common import MID, TEXT, closed, whole
from ..schemas.runtime import (
    CLOCK_SCHEMA,
    OUTBOX_ITEM_SCHEMA,
    PROCESSED_SCHEMA,
    parse_instant,
    render_clock,
    render_outbox_item,
    render_processed,
)
from ..state import AppState

PREFIX = "/_journeystack"
TAG = "control-plane"
MAX_OUTBOX_LIMIT = 10_000

ADVANCE_SCHEMA: dict[str, Any] = {
    "title": "ClockAdvance",
    "type": "object",
    "description": "Exactly one of by and to.",
    "properties": {
        "by": {
            "type": "string",
            "description": "A duration: 15d, 1d12h, 90m, 30s, 500ms, 2w (at most 3660 days).",
            "pattern": "^([0-9]{1,9}(ms|s|m|h|d|w))+$",
        },
        "to": {"type": "string", "description": "An ISO 8601 instant (UTC when it has no offset)."},
    },
    "oneOf": [{"required": ["by"]}, {"required": ["to"]}],
}
ADVANCED_SCHEMA: dict[str, Any] = {
    "title": "ClockAdvanced",
    **closed({"from": CLOCK_SCHEMA, "to": CLOCK_SCHEMA, "processed": PROCESSED_SCHEMA}),
}
IDLE_SCHEMA: dict[str, Any] = {
    "title": "EngineIdle",
    **closed({"clock": CLOCK_SCHEMA, "processed": PROCESSED_SCHEMA}),
}
OUTBOX_SCHEMA: dict[str, Any] = {
    "title": "Outbox",
    **closed(
        {"count": {"type": "integer", "minimum": 0}, "items": {"type": "array", "items": OUTBOX_ITEM_SCHEMA}}
    ),
}
ATTRIBUTES_SCHEMA: dict[str, Any] = {
    "title": "ContactAttributes",
    **closed(
        {
            "mid": {"type": "integer"},
            "contactKey": {"type": "string"},
            "attributes": {"type": "object", "additionalProperties": {"type": "object"}},
        }
    ),
}
ATTRIBUTE_SETS_SCHEMA: dict[str, Any] = {
    "title": "AttributeSets",
    "type": "object",
    "description": "{attribute set: {field: value}}: at most 100 sets of at most 500 fields.",
    "maxProperties": 100,
    "additionalProperties": {"type": "object", "maxProperties": 500},
}


def default_mid(state: AppState) -> int:
    """The business unit a control-plane call means when it names none: the first installed
    package's first MID (1000001 out of the box)."""
    return state.tokens.packages[0].mids[0]


def routes(state: AppState, engine: Engine) -> list[Route]:
    ctx = state.ctx
    depth = state.settings.max_json_depth

    def body_of(request: ApiRequest) -> dict[str, Any]:
        return parse_json_object(request.body, max_depth=depth) if request.body.strip() else {}

    def read_clock(_request: ApiRequest) -> ApiResponse:
        return json_response(render_clock(engine.clock()))

    def freeze(_request: ApiRequest) -> ApiResponse:
        return json_response(render_clock(engine.freeze()))

    def real(_request: ApiRequest) -> ApiResponse:
        return json_response(render_clock(engine.real()))

    def advance(request: ApiRequest) -> ApiResponse:
        body = body_of(request)
        by, to = body.get("by"), body.get("to")
        if (by is None) == (to is None):
            text = 'Give exactly one of "by" (a duration such as 15d) or "to" (an ISO 8601 instant).'
            raise refused([Problem(text, 10002, "by")], text)
        if by is not None and not isinstance(by, str):
            raise refused(
                [Problem("by must be a string such as 15d.", 10005, "by")], "by must be a string such as 15d."
            )
        before, after, processed = engine.advance(
            by_ms=parse_duration(by) if by is not None else None,
            to_ms=parse_instant(to, "to") if to is not None else None,
        )
        return json_response(
            {
                "from": render_clock(before),
                "to": render_clock(after),
                "processed": render_processed(processed),
            }
        )

    def run_until_idle(_request: ApiRequest) -> ApiResponse:
        processed = engine.run_until_idle()
        return json_response(
            {"clock": render_clock(engine.clock()), "processed": render_processed(processed)}
        )

    def list_outbox(request: ApiRequest) -> ApiResponse:
        q = request.query
        query = OutboxQuery(
            mid=query_int(q, "mid", maximum=MAX_BIG_INTEGER),
            contact_key=q.get("contactkey") or None,
            journey_key=q.get("journeykey") or None,
            activity_key=q.get("activitykey") or None,
            limit=query_int(q, "limit", maximum=MAX_OUTBOX_LIMIT) or 1000,
            offset=query_int(q, "offset", minimum=0) or 0,
        )
        total, items = runtime.list_outbox(ctx, query)
        return json_response({"count": total, "items": [render_outbox_item(pk, m) for pk, m in items]})

    def clear_outbox(request: ApiRequest) -> ApiResponse:
        return json_response(
            {"deleted": runtime.clear_outbox(ctx, query_int(request.query, "mid", maximum=MAX_BIG_INTEGER))}
        )

    def get_attributes(request: ApiRequest) -> ApiResponse:
        mid = query_int(request.query, "mid", maximum=MAX_BIG_INTEGER) or default_mid(state)
        contact_key = request.params["contactKey"]
        return json_response(
            {
                "mid": mid,
                "contactKey": contact_key,
                "attributes": runtime.get_attributes(ctx, mid, contact_key),
            }
        )

    def put_attributes(request: ApiRequest) -> ApiResponse:
        mid = query_int(request.query, "mid", maximum=MAX_BIG_INTEGER) or default_mid(state)
        contact_key = request.params["contactKey"]
        saved = runtime.put_attributes(
            ctx, mid, contact_key, parse_json_object(request.body, max_depth=depth)
        )
        return json_response({"mid": mid, "contactKey": contact_key, "attributes": saved})

    def route(
        method: str, path: str, handler: Handler, operation_id: str, summary: str, **extra: Any
    ) -> Route:
        return Route(method, PREFIX + path, handler, operation_id, summary, authenticated=False, scopes=(),
                     tag=TAG, admin=True, **extra)  # fmt: skip

    bad = {400: "Malformed body or query (validationErrors name the problem)."}
    contact = {"contactKey": {"type": "string", "minLength": 1, "maxLength": 254, "pattern": "\\S"}}
    return [
        route("GET", "/clock", read_clock, "controlPlaneClock", "The engine's clock: now, and whether it is frozen.",
              response_schema=CLOCK_SCHEMA),
        route("POST", "/clock/freeze", freeze, "controlPlaneClockFreeze", "Freeze the engine's clock where it is.",
              response_schema=CLOCK_SCHEMA),
        route("POST", "/clock/advance", advance, "controlPlaneClockAdvance",
              'Move the frozen clock forward ({"by": "15d"} or {"to": "<ISO instant>"}) and work everything that '
              "falls due, in due order, before answering.", request_schema=ADVANCE_SCHEMA,
              response_schema=ADVANCED_SCHEMA, responses=bad, blocking=True),
        route("POST", "/clock/run-until-idle", run_until_idle, "controlPlaneClockRunUntilIdle",
              "Work everything due now (fired events included) before answering.", response_schema=IDLE_SCHEMA,
              blocking=True),
        route("POST", "/clock/real", real, "controlPlaneClockReal", "Back to real time (the default).",
              response_schema=CLOCK_SCHEMA),
        route("GET", "/outbox", list_outbox, "controlPlaneOutbox",
              "Messages the journeys sent, oldest first; filter by mid, contactKey, journeyKey, activityKey.",
              query={"mid": MID, "contactKey": TEXT, "journeyKey": TEXT, "activityKey": TEXT,
                     "limit": whole(MAX_OUTBOX_LIMIT), "offset": whole(minimum=0)},
              response_schema=OUTBOX_SCHEMA, responses=bad),
        route("DELETE", "/outbox", clear_outbox, "controlPlaneClearOutbox", "Empty the outbox (or one MID's).",
              query={"mid": MID}, response_schema=closed({"deleted": {"type": "integer", "minimum": 0}})),
        route("GET", "/contacts/{contactKey}/attributes", get_attributes, "controlPlaneGetContactAttributes",
              "A contact's attributes ({attribute set: {field: value}}); mid defaults to the first package's.",
              query={"mid": MID}, path_params=contact, response_schema=ATTRIBUTES_SCHEMA),
        route("PUT", "/contacts/{contactKey}/attributes", put_attributes, "controlPlanePutContactAttributes",
              "Replace a contact's attributes ({attribute set: {field: value}}).", query={"mid": MID},
              path_params=contact, request_schema=ATTRIBUTE_SETS_SCHEMA, response_schema=ATTRIBUTES_SCHEMA, responses=bad),
    ]  # fmt: skip
