"""/_journeystack/: the control plane (health, info, reset, snapshots, journal, fault rules).

Every route but health and ready needs the admin token; docs/control-plane.md describes them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from journeystack import __version__
from journeystack.domain.queries import MAX_BIG_INTEGER
from journeystack.errors import InvalidRequest, InvalidSnapshot, Problem
from journeystack.services import admin

from ..http import ApiRequest, ApiResponse, json_response, parse_json_object, query_bool, query_int
from ..journal import JournalQuery
from ..routing import Answer, Handler, Route
from ..schemas.admin import (
    DELETED_SCHEMA,
    FAULT_RULE_SCHEMA,
    FAULT_RULES_SCHEMA,
    HEALTH_SCHEMA,
    IMPORT_SCHEMA,
    INFO_SCHEMA,
    JOURNAL_SCHEMA,
    READY_SCHEMA,
    RESET_SCHEMA,
    SNAPSHOT_SCHEMA,
    FaultRuleBody,
    parse_fault_rule,
    render_import,
    render_info,
    render_reset,
    render_rule,
)
from ..schemas.common import FLAG, MID, TEXT, whole

if TYPE_CHECKING:
    from ..control import ControlPlane

PREFIX = "/_journeystack"
TAG = "control-plane"
_STATUS_FILTER = re.compile(r"[1-5]([0-9][0-9]|xx)", re.IGNORECASE)
DEFAULT_JOURNAL_LIMIT = 50


def routes(control: ControlPlane) -> list[Route]:
    store = control.state_store
    depth = control.settings.max_json_depth

    def health(_request: ApiRequest) -> ApiResponse:
        return json_response({"status": "ok", "version": __version__})

    def ready(_request: ApiRequest) -> ApiResponse:
        admin.check_ready(store)
        return json_response({"status": "ready"})

    def info(_request: ApiRequest) -> ApiResponse:
        return json_response(
            render_info(
                control.settings,
                control.state.tokens.packages,
                fault_rules=len(control.faults),
                journal_entries=len(control.journal),
            )
        )

    def reset(request: ApiRequest) -> ApiResponse:
        result = admin.reset_state(
            store,
            query_int(request.query, "mid", maximum=MAX_BIG_INTEGER),
            tokens=query_bool(request.query, "tokens", False),
            token_cache=control.state.tokens,
        )
        return json_response(render_reset(result))

    def export_snapshot(request: ApiRequest) -> ApiResponse:
        return json_response(
            admin.export_snapshot(store, query_int(request.query, "mid", maximum=MAX_BIG_INTEGER))
        )

    def import_snapshot(request: ApiRequest) -> ApiResponse:
        try:
            raw = parse_json_object(request.body, max_depth=depth)
        except InvalidRequest as error:
            raise InvalidSnapshot(error.problems) from None
        result = admin.import_snapshot(
            store, raw, mid=query_int(request.query, "mid", maximum=MAX_BIG_INTEGER)
        )
        return json_response(render_import(result))

    def journal(request: ApiRequest) -> ApiResponse:
        q = request.query
        status = q.get("status") or None
        if status is not None and not _STATUS_FILTER.fullmatch(status):
            raise InvalidRequest(
                [Problem("status must be a status such as 429, or a class such as 5xx.", 10005, "status")]
            )
        limit = query_int(q, "limit") or DEFAULT_JOURNAL_LIMIT
        query = JournalQuery(
            path=q.get("path") or None,
            status=status,
            mid=query_int(q, "mid", maximum=MAX_BIG_INTEGER),
            limit=limit,
        )
        entries = control.journal.entries(query)
        return json_response({"enabled": control.journal.enabled, "count": len(entries), "entries": entries})

    def clear_journal(_request: ApiRequest) -> ApiResponse:
        return json_response({"deleted": control.journal.clear()})

    def add_fault(request: ApiRequest) -> ApiResponse:
        fields = parse_fault_rule(parse_json_object(request.body, max_depth=depth))
        return json_response(render_rule(control.faults.add(**fields)))

    def list_faults(_request: ApiRequest) -> ApiResponse:
        rules = [render_rule(view) for view in control.faults.rules()]
        return json_response({"count": len(rules), "rules": rules})

    def get_fault(request: ApiRequest) -> ApiResponse:
        return json_response(render_rule(control.faults.get(request.params["id"])))

    def clear_faults(_request: ApiRequest) -> ApiResponse:
        return json_response({"deleted": control.faults.clear()})

    def delete_fault(request: ApiRequest) -> ApiResponse:
        control.faults.remove(request.params["id"])
        return json_response({"deleted": 1})

    def route(
        method: str,
        path: str,
        handler: Handler,
        operation_id: str,
        summary: str,
        *,
        guarded: bool = True,
        query: dict[str, dict[str, Any]] | None = None,
        request_schema: type[Any] | dict[str, Any] | None = None,
        response_schema: type[Any] | dict[str, Any] | None = None,
        responses: Mapping[int, str | Answer] | None = None,
        links: dict[str, dict[str, Any]] | None = None,
    ) -> Route:
        # Reset and snapshots touch every row of a store: never on the event loop.
        blocking = path in ("/reset", "/snapshot")
        return Route(
            method, PREFIX + path, handler, operation_id, summary, authenticated=False, scopes=(),
            query=query or {}, request_schema=request_schema, response_schema=response_schema,
            responses=responses or {}, tag=TAG, admin=guarded, blocking=blocking, links=links or {},
        )  # fmt: skip

    mid = {"mid": MID}
    bad = {400: "Malformed query or body (validationErrors name the problem)."}
    return [
        route("GET", "/health", health, "controlPlaneHealth", "Liveness: the process answers (no token needed).",
              guarded=False, response_schema=HEALTH_SCHEMA),
        route("GET", "/ready", ready, "controlPlaneReady",
              "Readiness: the database answers and has no pending migration (no token needed).",
              guarded=False, response_schema=READY_SCHEMA,
              responses={503: "Not ready: the message says why (errorcode 90004)."}),
        route("GET", "/info", info, "controlPlaneInfo",
              "Version, store URL (password masked), packages (client ids and MIDs, never secrets), settings.",
              response_schema=INFO_SCHEMA),
        route("POST", "/reset", reset, "controlPlaneReset",
              "Delete the whole state, or one business unit's (?mid=), in one transaction; tokens stay "
              "unless ?tokens=true.", query={"mid": MID, "tokens": FLAG}, response_schema=RESET_SCHEMA, responses=bad),
        route("GET", "/snapshot", export_snapshot, "controlPlaneExportSnapshot",
              "Export the whole state, or one business unit's (?mid=), as a snapshot document.",
              query=mid, response_schema=SNAPSHOT_SCHEMA, responses=bad),
        route("POST", "/snapshot", import_snapshot, "controlPlaneImportSnapshot",
              "Replace the state a snapshot covers by the snapshot's, in one transaction; a bad document "
              "is refused (400, errorcode 90002) with nothing changed.", query=mid,
              request_schema=SNAPSHOT_SCHEMA, response_schema=IMPORT_SCHEMA, responses=bad),
        route("GET", "/journal", journal, "controlPlaneJournal",
              "The last calls, newest first, with secrets masked; filter by path substring, status "
              "(429 or 4xx), mid; limit (default 50).",
              query={"path": TEXT, "status": {"type": "string", "pattern": "^[1-5]([0-9][0-9]|[xX][xX])$"},
                     "mid": MID, "limit": whole()},
              response_schema=JOURNAL_SCHEMA, responses=bad),
        route("DELETE", "/journal", clear_journal, "controlPlaneClearJournal", "Empty the journal.",
              response_schema=DELETED_SCHEMA),
        route("POST", "/faults", add_fault, "controlPlaneAddFault",
              "Add a fault rule (this process only); the answer carries its id.",
              request_schema=FaultRuleBody, response_schema=FAULT_RULE_SCHEMA, responses=bad,
              links={"Get": {"operationId": "controlPlaneGetFault", "parameters": {"path.id": "$response.body#/id"}},
                     "Delete": {"operationId": "controlPlaneDeleteFault",
                                "parameters": {"path.id": "$response.body#/id"}}}),
        route("GET", "/faults", list_faults, "controlPlaneListFaults", "Every fault rule, with its counters.",
              response_schema=FAULT_RULES_SCHEMA),
        route("DELETE", "/faults", clear_faults, "controlPlaneClearFaults", "Remove every fault rule.",
              response_schema=DELETED_SCHEMA),
        route("GET", "/faults/{id}", get_fault, "controlPlaneGetFault", "One fault rule, with its counters.",
              response_schema=FAULT_RULE_SCHEMA, responses={404: "No such rule (errorcode 90003)."}),
        route("DELETE", "/faults/{id}", delete_fault, "controlPlaneDeleteFault", "Remove one fault rule.",
              response_schema=DELETED_SCHEMA,
              responses={404: "No such rule (errorcode 90003)."}),
    ]  # fmt: skip
