"""Journey lifecycle routes: publish and validate (with status polling), stop, pause, resume, audit."""

from __future__ import annotations

from journeystack.domain.audit import AuditAction
from journeystack.domain.lifecycle import OperationKind, PauseOptions
from journeystack.domain.queries import MAX_PAGE_SIZE
from journeystack.errors import InvalidRequest, Problem
from journeystack.services import lifecycle

from ..http import (
    ApiRequest,
    ApiResponse,
    empty_response,
    json_response,
    parse_json_object,
    query_bool,
    query_int,
)
from ..routing import Route
from ..schemas.lifecycle import render_audit_page, render_started, render_status
from ..state import AppState
from .interactions import BASE, selector, user_of

_AUDIT_ACTIONS = {"all": None, **{a.value.lower(): a for a in AuditAction}}


def _required_version(request: ApiRequest) -> int:
    version = query_int(request.query, "versionNumber")
    if version is None:
        raise InvalidRequest([Problem("versionNumber is required.", 10002, "versionNumber")])
    return version


def routes(state: AppState) -> list[Route]:
    ctx = state.ctx
    delay_ms = int(state.settings.operation_delay_seconds * 1000)
    depth = state.settings.max_json_depth

    def publish(request: ApiRequest) -> ApiResponse:
        return _start(request, OperationKind.PUBLISH)

    def validate(request: ApiRequest) -> ApiResponse:
        return _start(request, OperationKind.VALIDATE)

    def _start(request: ApiRequest, kind: OperationKind) -> ApiResponse:
        op = lifecycle.start_operation(
            ctx, request.mid, kind, version=_required_version(request), delay_ms=delay_ms,
            user=user_of(request), **selector(request),
        )  # fmt: skip
        return json_response(render_started(op))

    def publish_status(request: ApiRequest) -> ApiResponse:
        op = lifecycle.get_operation(
            ctx, request.mid, request.params["statusId"].lower(), OperationKind.PUBLISH
        )
        return json_response(render_status(op))

    def validate_status(request: ApiRequest) -> ApiResponse:
        op = lifecycle.get_operation(
            ctx, request.mid, request.params["statusId"].lower(), OperationKind.VALIDATE
        )
        return json_response(render_status(op))

    def stop(request: ApiRequest) -> ApiResponse:
        lifecycle.stop(
            ctx, request.mid, version=_required_version(request), user=user_of(request), **selector(request)
        )
        return empty_response()

    def pause(request: ApiRequest) -> ApiResponse:
        raw = parse_json_object(request.body, max_depth=depth) if request.body.strip() else {}
        lifecycle.pause(
            ctx, request.mid, PauseOptions.from_mapping(raw), version=query_int(request.query, "versionNumber"),
            all_versions=query_bool(request.query, "allVersions", False), user=user_of(request), **selector(request),
        )  # fmt: skip
        return json_response({"status": "Accepted"}, 202)

    def resume(request: ApiRequest) -> ApiResponse:
        lifecycle.resume(
            ctx, request.mid, version=query_int(request.query, "versionNumber"),
            all_versions=query_bool(request.query, "allVersions", False), user=user_of(request), **selector(request),
        )  # fmt: skip
        return json_response({"status": "Accepted"}, 202)

    def audit(request: ApiRequest) -> ApiResponse:
        name = request.params["action"].lower()
        if name not in _AUDIT_ACTIONS:
            choices = ", ".join(_AUDIT_ACTIONS)
            raise InvalidRequest([Problem(f"action must be one of {choices}.", 10005, "action")])
        page = lifecycle.audit_log(
            ctx, request.mid, _AUDIT_ACTIONS[name], version=query_int(request.query, "versionNumber"),
            page=query_int(request.query, "$page") or 1,
            page_size=query_int(request.query, "$pageSize", maximum=MAX_PAGE_SIZE) or 50, **selector(request),
        )  # fmt: skip
        return json_response(render_audit_page(page))

    started = {400: "versionNumber missing.", 404: "Interaction not found.",
               409: "Cannot publish interaction in {Status} status. (errorcode 30002)"}  # fmt: skip
    transition = {
        404: "Interaction not found.",
        409: "Cannot {verb} interaction in {Status} status. (errorcode 30002)",
    }
    pause_query = ("versionNumber", "allVersions")
    routes: list[Route] = []
    for path, name in (("{id}", "ById"), ("key:{key}", "ByKey")):
        routes += [
            Route("POST", f"{BASE}/publishAsync/{path}", publish, f"publishInteraction{name}",
                  "Publish a journey version asynchronously; poll statusUrl.", strict_scopes=("journeys_execute",),
                  query=("versionNumber",), responses=started, tag="lifecycle"),
            Route("POST", f"{BASE}/validateAsync/{path}", validate, f"validateInteraction{name}",
                  "Validate a journey version asynchronously; poll statusUrl.", strict_scopes=("journeys_execute",),
                  query=("versionNumber",), responses=started, tag="lifecycle"),
            Route("POST", f"{BASE}/stop/{path}", stop, f"stop{name}",
                  "Stop a Published, Paused or Unpublished version (terminal; an empty 200).", strict_scopes=("journeys_aspr",),
                  query=("versionNumber",), responses=transition, tag="lifecycle"),
            Route("POST", f"{BASE}/pause/{path}", pause, f"pause{name}",
                  "Pause a Published version (202; errorcode 10005 in a 202 without versionNumber/allVersions).",
                  strict_scopes=("journeys_aspr",), query=pause_query, responses=transition, tag="lifecycle"),
            Route("POST", f"{BASE}/resume/{path}", resume, f"resume{name}", "Resume a Paused version (202).",
                  strict_scopes=("journeys_aspr",), query=pause_query, responses=transition, tag="lifecycle"),
            Route("GET", f"{BASE}/{path}/audit/{{action}}", audit, f"getAuditLog{name}",
                  "Audit log: all, create, modify, publish, unpublish, delete, stop, pause or resume.",
                  query=("versionNumber", "$page", "$pageSize"), tag="lifecycle"),
        ]  # fmt: skip
    routes += [
        Route("GET", f"{BASE}/publishStatus/{{statusId}}", publish_status, "publishStatus",
              "Status of a publish: PublishInProcess, PublishCompleted or Error.", tag="lifecycle"),
        Route("GET", f"{BASE}/validateStatus/{{statusId}}", validate_status, "validateStatus",
              "Status of a validation: ValidateInProcess, ValidateCompleted or Error.", tag="lifecycle"),
    ]  # fmt: skip
    return routes
