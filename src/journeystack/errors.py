"""The domain error tree: what can go wrong, in journeystack's own words.

    JourneystackError
    ├── InvalidRequest            a client sent something ill-formed (fields named in `problems`)
    │   ├── SpecValidationFailed  the Journey Spec checks refused a definition
    │   ├── CategoryNotFound      a journey's categoryId names no journey folder of its business unit
    │   ├── ResponseTooLarge      the answer asked for would be over the response size limit
    │   ├── NotStandardJourney    the standard pause/resume of a transactional-send journey, or
    │   │                         the transactional helpers of a standard one
    │   ├── InvalidSnapshot       a snapshot document the control plane cannot import
    │   └── InvalidFaultRule      a fault rule the control plane cannot apply
    ├── NotAuthenticated          no, unknown or expired bearer token
    ├── OAuthError                a token request refused (OAuth 2 error body, not SFMC's envelope)
    │   ├── InvalidTokenRequest   the token request body is not a JSON object
    │   ├── InvalidClient         bad client credentials
    │   ├── UnauthorizedClient    the package may not act for the requested business unit
    │   └── UnsupportedGrantType  a grant other than client_credentials
    ├── PayloadTooLarge           the request body is over the configured cap
    ├── UnsupportedMediaType      a JSON route sent a body of another Content-Type
    ├── RouteNotFound             no such resource
    ├── MethodNotAllowed          the resource exists, the HTTP method does not
    ├── InsufficientPrivileges    the token lacks a scope the route needs
    ├── NotFound                  a journey (or version) does not exist for this business unit
    │   ├── CriteriaNotFound      the same, as answered by GET (SFMC words it differently)
    │   └── OperationNotFound     no publish/validate status with that id
    ├── StaleModifiedDate         optimistic-concurrency check failed
    ├── VersionNotEditable        the version is not Draft, or an operation is in flight on it
    ├── DraftVersionExists        POST of a key whose latest version is still a Draft
    ├── TransactionalHasNoVersions  POST of a transactional-send journey's key
    ├── InvalidStateTransition    a lifecycle change the version's status does not allow
    ├── NoChange                  an update that would change nothing
    ├── PauseTargetMissing        pause/resume without versionNumber or allVersions (SFMC answers 202)
    ├── TransactionalPublishFailed  transactional/create of a journey that fails the publish checks
    ├── EventDefinitionNotFound   no such event definition in this business unit
    │   └── NoSuchEventDefinition the same, as the eventDefinitions resource answers it
    ├── EventDefinitionExists     POST of an event definition key already taken
    ├── EmailDefinitionNotFound   no transactional email definition with that key
    ├── EventDefinitionInUse      update/delete of an event a running journey is triggered by
    ├── FolderError               a folder request refused (SOAP DataFolder, /email/v1/category)
    │   ├── FolderNotFound        no such (parent) folder in this business unit
    │   ├── InvalidFolder         a name, content type or change the folder rules refuse
    │   └── FolderNameTaken       the parent already has a folder of that name
    ├── AdminNotAuthenticated     a control-plane call without the admin token (SFMC tokens never do)
    ├── FaultRuleNotFound         no fault rule with that id
    ├── OutboxMessageNotFound     no outbox message with that id (recording engagement)
    ├── StoreNotReady             the database is unreachable or has migrations pending
    └── InjectedFault             a control-plane fault rule answered in the route's place
        ├── RateLimitExceeded     ... as SFMC's rate limiter does (429, errorcode 50100)
        └── ServiceUnavailable    ... as SFMC does when overloaded (503, errorcode 50300)

Each error carries a stable `code` (SFMC's errorcode where one exists) and a message; `api/errors.py`
alone decides the HTTP status and the wire body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: where it is and what is wrong with it."""

    message: str
    code: int
    path: str = ""


class JourneystackError(Exception):
    """Base of every error journeystack raises on purpose."""

    code: int = 0
    default_message: str = "Error"
    # Why, in journeystack's words, where the wire body (SFMC's) does not say: the server log and
    # the request journal show it; no client ever sees it.
    reason: str | None = None

    def __init__(self, message: str | None = None, *, reason: str | None = None) -> None:
        self.message = message or self.default_message
        if reason is not None:
            self.reason = reason
        super().__init__(self.message)


class InvalidRequest(JourneystackError):
    code = 400
    default_message = "Please validate that your request is properly formed."

    def __init__(self, problems: list[Problem] | None = None, message: str | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def refused(problems: list[Problem], message: str | None = None) -> InvalidRequest:
    """An InvalidRequest whose message and errorcode are those of its first problem (unless
    `message` is given), so the envelope alone says which field is wrong."""
    more = f" (and {len(problems) - 1} more in validationErrors)" if len(problems) > 1 else ""
    error = InvalidRequest(problems, message or problems[0].message + more)
    error.code = problems[0].code
    return error


class SpecValidationFailed(InvalidRequest):
    code = 10006
    default_message = "Validation Errors Occurred!"


class NotAuthenticated(JourneystackError):
    code = 0
    default_message = "Not Authorized"


class OAuthError(JourneystackError):
    oauth_error = "invalid_request"


class InvalidTokenRequest(OAuthError):
    oauth_error = "invalid_request"
    default_message = "The request body must be a JSON object with grant_type, client_id and client_secret."


class InvalidClient(OAuthError):
    oauth_error = "invalid_client"
    default_message = (
        "Client authentication failed. Make sure that the client ID and client secret are valid "
        "and that the package is installed and enabled."
    )


class UnauthorizedClient(OAuthError):
    oauth_error = "unauthorized_client"
    default_message = "The client is not authorized to act for the requested account."


class UnsupportedGrantType(OAuthError):
    oauth_error = "unsupported_grant_type"
    default_message = "Use the client_credentials grant type."


class InsufficientPrivileges(JourneystackError):
    code = 20002
    default_message = "Insufficient Privileges"


class NotFound(JourneystackError):
    code = 30003
    default_message = "Interaction not found."


class CriteriaNotFound(NotFound):
    default_message = "Interaction matching criteria not found."


class StaleModifiedDate(JourneystackError):
    code = 30000
    default_message = "Another user recently modified this journey. Refresh to edit the latest version."


class VersionNotEditable(JourneystackError):
    code = 409
    default_message = (
        "Conflict, this change would cause a current operation on the specified interaction "
        "or a running interaction to be changed, which is not permitted"
    )


class DraftVersionExists(JourneystackError):
    code = 30004
    default_message = (
        "A draft version of this interaction already exists. Update or delete the draft version "
        "before creating a new one."
    )


class TransactionalHasNoVersions(JourneystackError):
    code = 30004
    default_message = (
        "A transactional-send journey has no versions: update it with PUT (pause it first while it is "
        "Published) instead of creating it again."
    )


class InvalidStateTransition(JourneystackError):
    code = 30002
    default_message = "Invalid state transition."


class NoChange(JourneystackError):
    code = 304
    default_message = "No change has been processed, supplied data matches that on the server."


class PayloadTooLarge(JourneystackError):
    code = 10000

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the {limit}-byte limit.")
        self.limit = limit


class UnsupportedMediaType(JourneystackError):
    # SFMC's catalogue lists "Unsupported Media Type", HTTP 415, without an errorcode: the
    # status stands in for one, as 404 does for an unknown route (docs/differences.md).
    code = 415
    default_message = (
        "Unsupported Media Type: send the request body as JSON, with Content-Type: application/json."
    )


class RouteNotFound(JourneystackError):
    code = 404
    default_message = "Not Found"  # SFMC's words (mcdev's recorded rest404-response.json)


class MethodNotAllowed(JourneystackError):
    code = 30001
    default_message = "Invalid operation: the HTTP method is not supported by this resource."

    def __init__(self, allowed: list[str]) -> None:
        super().__init__()
        self.allowed = allowed


class OperationNotFound(NotFound):
    default_message = "Status not found."


class PauseTargetMissing(JourneystackError):
    code = 10005
    default_message = "AllVersions=true or VersionNumber required."


class EventDefinitionNotFound(JourneystackError):
    code = 30003
    default_message = "Event definition not found."


class NoSuchEventDefinition(EventDefinitionNotFound):
    """GET, PUT or DELETE of an event definition that does not exist. SFMC answers a 400 whose body
    carries no errorcode: sfmc-sdk then keeps axios's `ERR_BAD_REQUEST` as the error's code, and
    mcdev takes exactly that as "not found" (Event.retrieve). A truthy errorcode here would turn
    `mcdev retrieve ... event <missing key>` into a failure, so it is 0."""

    code = 0


class EmailDefinitionNotFound(JourneystackError):
    code = 30003
    default_message = "Transactional email definition not found."


class EventDefinitionExists(JourneystackError):
    code = 30004
    default_message = "An event definition with this eventDefinitionKey already exists."


class EventDefinitionInUse(JourneystackError):
    code = 30002
    default_message = "Event definition is used by a running journey; stop or pause the journey before changing or deleting it."


class NotStandardJourney(InvalidRequest):
    code = 10005


class TransactionalPublishFailed(JourneystackError):
    """transactional/create refused by the publish checks; `problems` (domain OperationProblems)
    are what the answer's `errors` lists, as a publish status document lists them. errorcode
    121500 is SFMC's for a refused transactional publish."""

    code = 121500
    default_message = "The journey cannot be published; errors lists why."

    def __init__(self, problems: Sequence[Any]) -> None:
        super().__init__()
        self.problems = problems


class CategoryNotFound(InvalidRequest):
    code = 10005


class ResponseTooLarge(InvalidRequest):
    code = 10005
    default_message = "The answer would be larger than journeystack's response size limit."

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems, problems[0].message if problems else None)


class FolderError(JourneystackError):
    """A folder request refused; `field` names the SOAP property at fault."""

    code = 10005

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class FolderNotFound(FolderError):
    code = 30003


class InvalidFolder(FolderError):
    code = 10005


class FolderNameTaken(FolderError):
    code = 30004


# The control plane (/_journeystack/): journeystack's own errors, errorcodes 90001 and up.


class InvalidSnapshot(InvalidRequest):
    code = 90002

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0].message if problems else "it is not a journeystack snapshot."
        more = f" (and {len(problems) - 1} more in validationErrors)" if len(problems) > 1 else ""
        super().__init__(problems, f"The snapshot was refused, nothing was changed: {first}{more}")


class InvalidFaultRule(InvalidRequest):
    code = 90005

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0].message if problems else ""
        more = f" (and {len(problems) - 1} more in validationErrors)" if len(problems) > 1 else ""
        super().__init__(problems, f"The fault rule was refused: {first}{more}")


class AdminNotAuthenticated(JourneystackError):
    code = 90001
    default_message = (
        "The control plane needs the admin token (JOURNEYSTACK_ADMIN_TOKEN), sent as "
        "'Authorization: Bearer <admin token>' or 'X-Journeystack-Admin-Token: <admin token>'; "
        "access tokens from /v2/token never open it."
    )


class FaultRuleNotFound(JourneystackError):
    code = 90003

    def __init__(self, rule_id: str) -> None:
        super().__init__(f"No fault rule has the id {rule_id!r}.")
        self.rule_id = rule_id


class OutboxMessageNotFound(JourneystackError):
    code = 90006

    def __init__(self, message_id: int) -> None:
        super().__init__(f"No outbox message has the id {message_id}.")


class StoreNotReady(JourneystackError):
    code = 90004
    default_message = "The store is not ready."


class InjectedFault(JourneystackError):
    """A fault rule's answer. `status` is the HTTP status the rule chose; `rule_ids` every rule that
    fired on the call (the answering one last)."""

    status = 500
    code = 500
    default_message = "There was a problem processing your request, please try again or contact support"

    def __init__(
        self,
        rule_ids: str,
        *,
        status: int | None = None,
        message: str | None = None,
        code: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.rule_ids = rule_ids
        self.status = status if status is not None else type(self).status
        self.code = code if code is not None else type(self).code
        self.retry_after = retry_after


class RateLimitExceeded(InjectedFault):
    status = 429
    code = 50100
    default_message = "Rate limit exceeded"


class ServiceUnavailable(InjectedFault):
    status = 503
    code = 50300
    default_message = "Service Unavailable"
