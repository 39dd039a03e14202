"""The one table that turns domain errors into HTTP statuses and SFMC (or OAuth) error bodies."""

from __future__ import annotations

from journeystack import errors as e

from .http import ApiResponse, json_response
from .schemas.lifecycle import render_problem

ERROR_HANDLING_DOC = (
    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
)
OAUTH_DOC = "https://developer.salesforce.com/docs"

# Most specific class first: the first entry the error is an instance of wins.
STATUS: list[tuple[type[e.JourneystackError], int]] = [
    (e.NoChange, 304),
    (e.PauseTargetMissing, 202),  # SFMC reports this validation failure in a 202 (docs/differences.md)
    (e.TransactionalPublishFailed, 400),  # SFMC: 400 with errors[] (mcdev reads errors[0].errorCode)
    (e.InvalidRequest, 400),
    (e.StaleModifiedDate, 400),
    (e.UnsupportedGrantType, 400),
    (e.InvalidTokenRequest, 400),
    (e.NotAuthenticated, 401),
    (e.InvalidClient, 401),
    (e.UnauthorizedClient, 401),
    (e.InsufficientPrivileges, 403),
    (e.NotFound, 404),
    (e.EventDefinitionNotFound, 400),  # mcdev treats a 400 as "no such event" (docs/differences.md)
    (e.RouteNotFound, 404),
    (e.EmailDefinitionNotFound, 404),
    (e.MethodNotAllowed, 400),  # SFMC: "Invalid Operation", 400 with errorcode 30001
    (e.VersionNotEditable, 409),
    (e.DraftVersionExists, 409),
    (e.TransactionalHasNoVersions, 409),
    (e.InvalidStateTransition, 409),
    (e.EventDefinitionExists, 409),
    (e.EventDefinitionInUse, 409),
    (e.FolderError, 400),  # folder requests outside SOAP (SOAP reports them per result)
    (e.PayloadTooLarge, 413),
    # The control plane (/_journeystack/); other InjectedFaults answer the status their rule chose.
    (e.AdminNotAuthenticated, 401),
    (e.FaultRuleNotFound, 404),
    (e.StoreNotReady, 503),
    (e.RateLimitExceeded, 429),
    (e.ServiceUnavailable, 503),
]

INTERNAL_ERROR_MESSAGE = "There was a problem processing your request, please try again or contact support"


def status_for(error: e.JourneystackError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return error.status if isinstance(error, e.InjectedFault) else 500


def render_error(error: e.JourneystackError) -> ApiResponse:
    """The response for a domain error."""
    status = status_for(error)
    if status == 304:
        return ApiResponse(status=304)  # HTTP forbids a body on 304 (docs/differences.md)
    if isinstance(error, e.OAuthError):
        return json_response(
            {"error": error.oauth_error, "error_description": error.message, "error_uri": OAUTH_DOC}, status
        )
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
    return json_response(body, status, headers)


def render_internal_error() -> ApiResponse:
    return json_response({"message": INTERNAL_ERROR_MESSAGE, "errorcode": 500, "documentation": ""}, 500)
