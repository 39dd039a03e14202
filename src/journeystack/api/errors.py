"""The one table that turns domain errors into HTTP statuses and SFMC (or OAuth) error bodies."""

from __future__ import annotations

from typing import Any

from journeystack import errors as e

from .http import ApiResponse, json_response
from .schemas.lifecycle import PROBLEM_SCHEMA, render_problem

ERROR_HANDLING_DOC = (
    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
)
OAUTH_DOC = "https://developer.salesforce.com/docs"

# Keyed by class: an error answers the status of the nearest class in its MRO that has a row
# (tests/unit/test_errors_table.py checks that every error class reaches one).
STATUS: dict[type[e.JourneystackError], int] = {
    e.NoChange: 304,
    e.PauseTargetMissing: 202,  # SFMC reports this validation failure in a 202 (docs/differences.md)
    e.TransactionalPublishFailed: 400,  # SFMC: 400 with errors[] (mcdev reads errors[0].errorCode)
    e.InvalidRequest: 400,
    e.StaleModifiedDate: 400,
    e.UnsupportedGrantType: 400,
    e.InvalidTokenRequest: 400,
    e.NotAuthenticated: 401,
    e.InvalidClient: 401,
    e.UnauthorizedClient: 401,
    e.InsufficientPrivileges: 403,
    e.NotFound: 404,
    e.EventDefinitionNotFound: 400,  # mcdev treats a 400 as "no such event" (docs/differences.md)
    e.RouteNotFound: 404,
    e.EmailDefinitionNotFound: 404,
    e.MethodNotAllowed: 400,  # SFMC: "Invalid Operation", 400 with errorcode 30001
    e.VersionNotEditable: 409,
    e.DraftVersionExists: 409,
    e.TransactionalHasNoVersions: 409,
    e.InvalidStateTransition: 409,
    e.EventDefinitionExists: 409,
    e.EventDefinitionInUse: 409,
    e.FolderError: 400,  # folder requests outside SOAP (SOAP reports them per result)
    e.PayloadTooLarge: 413,
    e.UnsupportedMediaType: 415,
    # The control plane (/_journeystack/); other InjectedFaults answer the status their rule chose.
    e.AdminNotAuthenticated: 401,
    e.FaultRuleNotFound: 404,
    e.OutboxMessageNotFound: 404,
    e.StoreNotReady: 503,
    e.RateLimitExceeded: 429,
    e.ServiceUnavailable: 503,
}

INTERNAL_ERROR_MESSAGE = "There was a problem processing your request, please try again or contact support"


def status_for(error: e.JourneystackError) -> int:
    for cls in type(error).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return error.status if isinstance(error, e.InjectedFault) else 500


def render_error(error: e.JourneystackError) -> ApiResponse:
    """The response for a domain error."""
    status = status_for(error)
    if status == 304:
        return ApiResponse(status=304)  # HTTP forbids a body on 304 (docs/differences.md)
    if isinstance(error, e.OAuthError):
        response = json_response(
            {"error": error.oauth_error, "error_description": error.message, "error_uri": OAUTH_DOC}, status
        )
        response.reason = error.reason
        return response
    sfmc_doc = e.NotAuthenticated | e.RouteNotFound | e.RateLimitExceeded | e.ServiceUnavailable
    documentation = ERROR_HANDLING_DOC if isinstance(error, sfmc_doc) else ""
    body: dict[str, object] = {"message": error.message, "errorcode": error.code}
    headers: dict[str, str] = {}
    if isinstance(error, e.InjectedFault):
        headers["X-Journeystack-Fault"] = error.rule_ids
        if error.retry_after is not None:
            body["retryAfter"] = error.retry_after
            headers["Retry-After"] = str(error.retry_after)
    body["documentation"] = documentation
    if isinstance(error, e.TransactionalPublishFailed):
        body["errors"] = [render_problem(p) for p in error.problems]
    if isinstance(error, e.InvalidRequest) and error.problems:
        body["validationErrors"] = [
            {"message": p.message, "errorcode": p.code, **({"path": p.path} if p.path else {})}
            for p in error.problems
        ]
    if isinstance(error, e.NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if isinstance(error, e.AdminNotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="journeystack-control-plane"'
    if isinstance(error, e.MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    response = json_response(body, status, headers)
    response.reason = error.reason
    return response


def render_internal_error() -> ApiResponse:
    return json_response({"message": INTERNAL_ERROR_MESSAGE, "errorcode": 500, "documentation": ""}, 500)


# --- What the renderers above answer, as JSON Schema (the OpenAPI document's components) ----------

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "SFMC's error envelope. `validationErrors` name each member or parameter at fault; "
    "`retryAfter` comes only from a control-plane fault rule; `errors` (transactional/create refused) "
    "lists the publish checks' problems as a publish status does.",
    "required": ["message", "errorcode", "documentation"],
    "properties": {
        "message": {"type": "string"},
        "errorcode": {"type": "integer"},
        "documentation": {"type": "string"},
        "retryAfter": {"type": "integer"},
        "errors": {"type": "array", "items": PROBLEM_SCHEMA},
        "validationErrors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message", "errorcode"],
                "properties": {
                    "message": {"type": "string"},
                    "errorcode": {"type": "integer"},
                    "path": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def error_schema(
    code: int, message: str | None = None, documentation: str = "", *, title: str | None = None
) -> dict[str, Any]:
    """The envelope of one particular error: its errorcode, and its message when that is fixed."""
    fixed: dict[str, Any] = {"errorcode": {"const": code}, "documentation": {"const": documentation}}
    if message is not None:
        fixed["message"] = {"const": message}
    schema: dict[str, Any] = {"allOf": [{"$ref": "#/components/schemas/Error"}, {"properties": fixed}]}
    return {"title": title, **schema} if title else schema


NOT_AUTHENTICATED_SCHEMA = error_schema(
    e.NotAuthenticated.code, e.NotAuthenticated.default_message, ERROR_HANDLING_DOC, title="NotAuthorized"
)
ADMIN_NOT_AUTHENTICATED_SCHEMA = error_schema(
    e.AdminNotAuthenticated.code, e.AdminNotAuthenticated.default_message, title="AdminTokenRequired"
)
INSUFFICIENT_PRIVILEGES_SCHEMA = error_schema(
    e.InsufficientPrivileges.code, e.InsufficientPrivileges.default_message, title="InsufficientPrivileges"
)
PAYLOAD_TOO_LARGE_SCHEMA = error_schema(e.PayloadTooLarge.code, title="PayloadTooLarge")
UNSUPPORTED_MEDIA_TYPE_SCHEMA = error_schema(
    e.UnsupportedMediaType.code, e.UnsupportedMediaType.default_message, title="UnsupportedMediaType"
)
METHOD_NOT_ALLOWED_SCHEMA = error_schema(
    e.MethodNotAllowed.code, e.MethodNotAllowed.default_message, title="InvalidOperation"
)


def oauth_error_schema(title: str, *kinds: type[e.OAuthError]) -> dict[str, Any]:
    """The OAuth 2 error body `render_error` answers for these token errors: one of their
    `error` codes, each with its own fixed `error_description`."""
    return {
        "title": title,
        "type": "object",
        "required": ["error", "error_description", "error_uri"],
        "properties": {
            "error": {"enum": sorted({kind.oauth_error for kind in kinds})},
            "error_description": {"type": "string"},
            "error_uri": {"const": OAUTH_DOC},
        },
        "additionalProperties": False,
        "oneOf": [
            {
                "properties": {
                    "error": {"const": kind.oauth_error},
                    "error_description": {"const": kind.default_message},
                }
            }
            for kind in kinds
        ],
    }


TOKEN_REQUEST_ERROR_SCHEMA = oauth_error_schema(
    "TokenRequestError", e.InvalidTokenRequest, e.UnsupportedGrantType
)
TOKEN_CLIENT_ERROR_SCHEMA = oauth_error_schema("TokenClientError", e.InvalidClient, e.UnauthorizedClient)
