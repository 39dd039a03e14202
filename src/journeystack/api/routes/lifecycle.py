"""Journey lifecycle routes: publish and validate (with status polling), stop, pause, resume, audit."""

from __future__ import annotations

from journeystack.domain.audit import AuditAction
from journeystack.domain.lifecycle import GUARDRAIL_ACTIONS, MAX_PAUSED_DAYS, OperationKind, PauseOptions
from journeystack.domain.queries import MAX_PAGE_SIZE
from journeystack.errors import InvalidRequest, PauseTargetMissing, Problem
from journeystack.services import lifecycle

from ..errors import error_schema
from ..http import ApiRequest, ApiResponse, json_response, parse_json_object, query_bool, query_int
from ..routing import Answer, Route
from ..schemas.common import FLAG, PAGE, PAGE_SIZE, VERSION_NUMBER
from ..schemas.lifecycle import (
    AUDIT_PAGE_SCHEMA,
    OPERATION_STARTED_SCHEMA,
    operation_status_schema,
    render_audit_page,
    render_started,
    render_status,
)
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
        return json_response(True)

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

    started = {400: "versionNumber missing or malformed.", 404: "Interaction not found.",
               409: "Cannot publish interaction in {Status} status. (errorcode 30002)"}  # fmt: skip
    transition: dict[int, str | Answer] = {
        400: "versionNumber missing or malformed.",
        404: "Interaction not found.",
        409: "Cannot {verb} interaction in {Status} status. (errorcode 30002)",
    }
    pause_query = {"versionNumber": VERSION_NUMBER, "allVersions": FLAG}
    # SFMC reports a pause or resume without versionNumber or allVersions in a 202 (docs/differences.md).
    accepted = {
        202: "Accepted; or, without versionNumber or allVersions, SFMC's error envelope (errorcode 10005) "
        "in a 202 all the same.",
        400: "Malformed versionNumber, allVersions or pause options.",
        **{k: v for k, v in transition.items() if k != 400},
    }
    accepted_body = {
        "anyOf": [
            {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"const": "Accepted"}},
                "additionalProperties": False,
            },
            error_schema(PauseTargetMissing.code, PauseTargetMissing.default_message),
        ]
    }
    pause_options = {
        "title": "PauseOptions",
        "type": "object",
        "description": "Member names match in any case.",
        "properties": {
            "PausedDays": {"type": "integer", "minimum": 1, "maximum": MAX_PAUSED_DAYS},
            "ExtendWaitEndDates": {"type": "boolean"},
            "RetainContactInjectionWhileJourneyPaused": {"type": "boolean"},
            "GuardrailAction": {"enum": list(GUARDRAIL_ACTIONS), "description": "Any case."},
        },
    }
    one = {"versionNumber": VERSION_NUMBER}
    routes: list[Route] = []
    for path, name in (("{id}", "ById"), ("key:{key}", "ByKey")):
        routes += [
            Route("POST", f"{BASE}/publishAsync/{path}", publish, f"publishInteraction{name}",
                  "Publish a journey version asynchronously; poll statusUrl.", strict_scopes=("journeys_execute",),
                  query=one, required_query=("versionNumber",), response_schema=OPERATION_STARTED_SCHEMA, responses=started, tag="lifecycle",
                  links={"Status": {"operationId": "publishStatus",
                                    "parameters": {"path.statusId": "$response.body#/statusId"}}}),
            Route("POST", f"{BASE}/validateAsync/{path}", validate, f"validateInteraction{name}",
                  "Validate a journey version asynchronously; poll statusUrl.", strict_scopes=("journeys_execute",),
                  query=one, required_query=("versionNumber",), response_schema=OPERATION_STARTED_SCHEMA, responses=started, tag="lifecycle",
                  links={"Status": {"operationId": "validateStatus",
                                    "parameters": {"path.statusId": "$response.body#/statusId"}}}),
            Route("POST", f"{BASE}/stop/{path}", stop, f"stop{name}",
                  "Stop a Published, Paused or Unpublished version (terminal).", strict_scopes=("journeys_aspr",),
                  query=one, required_query=("versionNumber",), response_schema={"const": True}, responses=transition, tag="lifecycle"),
            Route("POST", f"{BASE}/pause/{path}", pause, f"pause{name}",
                  "Pause a Published version (202; errorcode 10005 in a 202 without versionNumber/allVersions).",
                  strict_scopes=("journeys_aspr",), query=pause_query, request_schema=pause_options,
                  body_optional=True, response_schema=accepted_body, responses=accepted, tag="lifecycle", status=202),
            Route("POST", f"{BASE}/resume/{path}", resume, f"resume{name}", "Resume a Paused version (202).",
                  strict_scopes=("journeys_aspr",), query=pause_query, response_schema=accepted_body,
                  responses=accepted, tag="lifecycle", status=202),
            Route("GET", f"{BASE}/{path}/audit/{{action}}", audit, f"getAuditLog{name}",
                  "Audit log: all, create, modify, publish, unpublish, delete, stop, pause or resume.",
                  query={"versionNumber": VERSION_NUMBER, "$page": PAGE, "$pageSize": PAGE_SIZE},
                  path_params={"action": {"enum": list(_AUDIT_ACTIONS), "description": "Any case."}},
                  response_schema=AUDIT_PAGE_SCHEMA, responses={400: "Unknown action or malformed query.",
                             404: "Interaction matching criteria not found (errorcode 30003)."},
                  tag="lifecycle"),
        ]  # fmt: skip
    routes += [
        Route("GET", f"{BASE}/publishStatus/{{statusId}}", publish_status, "publishStatus",
              "Status of a publish: PublishInProcess, PublishCompleted or Error.",
              response_schema=operation_status_schema(OperationKind.PUBLISH),
              responses={404: "Status not found (errorcode 30003)."}, tag="lifecycle"),
        Route("GET", f"{BASE}/validateStatus/{{statusId}}", validate_status, "validateStatus",
              "Status of a validation: ValidateInProcess, ValidateCompleted or Error.",
              response_schema=operation_status_schema(OperationKind.VALIDATE),
              responses={404: "Status not found (errorcode 30003)."}, tag="lifecycle"),
    ]  # fmt: skip
    return routes
