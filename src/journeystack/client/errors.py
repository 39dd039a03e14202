"""What the client raises, drawn here:

    ClientError
    ├── SfmcError                    an error answer: status, errorcode, message (SFMC's envelope)
    │   ├── AuthenticationError      401: bad credentials, or a token the server no longer accepts
    │   ├── PermissionDeniedError    403: the token lacks a scope (errorcode 20002)
    │   ├── BadRequestError          400 (and the 202 SFMC answers a pause without a version with)
    │   ├── StaleModifiedDateError   errorcode 30000: someone saved the journey since you read it
    │   ├── NotFoundError            404, or errorcode 30003 whatever the status
    │   ├── ConflictError            409: the change is refused in the version's status
    │   │   └── NotEditableError     409 with errorcode 409: the version is not an editable Draft
    │   ├── RateLimitError           429 (`retry_after` seconds)
    │   └── ServerError              5xx
    ├── OperationFailedError         a publish ended in status Error (`status.errors` say why)
    └── OperationTimeoutError        a publish or validate still ran when the timeout came

The class is chosen by errorcode first, then by status; SFMC answers a missing event definition
(GET, PUT or DELETE of eventDefinitions/{id} or key:{key}) with a 400 and no usable errorcode, which
is a NotFoundError too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import OperationStatus


class ClientError(Exception):
    """Base of everything the client raises on purpose."""


class SfmcError(ClientError):
    """An error answer from SFMC (or journeystack): its status and SFMC's error envelope."""

    def __init__(
        self,
        *,
        status: int,
        errorcode: int | None,
        message: str,
        method: str = "",
        url: str = "",
        documentation: str = "",
        validation_errors: list[dict[str, Any]] | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} errorcode {errorcode}: {message} ({method} {url})")
        self.status = status
        self.errorcode = errorcode
        self.message = message
        self.method = method
        self.url = url
        self.documentation = documentation
        self.validation_errors = validation_errors or []
        self.body = body
        self.retry_after = retry_after


class AuthenticationError(SfmcError):
    pass


class PermissionDeniedError(SfmcError):
    pass


class BadRequestError(SfmcError):
    pass


class StaleModifiedDateError(SfmcError):
    pass


class NotFoundError(SfmcError):
    pass


class ConflictError(SfmcError):
    pass


class NotEditableError(ConflictError):
    pass


class RateLimitError(SfmcError):
    pass


class ServerError(SfmcError):
    pass


class OperationFailedError(ClientError):
    """A publish ended in status Error; `status` carries its errors and warnings."""

    def __init__(self, kind: str, status: OperationStatus) -> None:
        first = status.errors[0].error_detail if status.errors else "no error given"
        super().__init__(f"{kind} failed with {len(status.errors)} error(s), first: {first}")
        self.kind = kind
        self.status = status


class OperationTimeoutError(ClientError):
    """A publish or validate did not finish within the timeout; `status_id` lets you poll on."""

    def __init__(self, kind: str, status_id: str, timeout: float, last: OperationStatus | None) -> None:
        state = last.status if last is not None else "unknown"
        super().__init__(f"{kind} {status_id} still {state} after {timeout} s")
        self.kind = kind
        self.status_id = status_id
        self.timeout = timeout
        self.last = last


def _names_one_event(url: str) -> bool:
    path = url.split("?", 1)[0].rstrip("/").lower()
    head, _, last = path.rpartition("/")
    return head.endswith("/interaction/v1/eventdefinitions") and bool(last)


def error_for(status: int, body: Any, *, method: str, url: str, retry_after: str | None = None) -> SfmcError:
    """The exception for an error answer."""
    envelope = body if isinstance(body, dict) else {}
    code = envelope.get("errorcode")
    errorcode = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = envelope.get("message") or envelope.get("error_description") or envelope.get("error")
    if not isinstance(message, str) or not message:
        message = body if isinstance(body, str) and body else f"HTTP {status}"
    kind: type[SfmcError]
    if errorcode == 30000:
        kind = StaleModifiedDateError
    elif errorcode == 30003 or status == 404 or (status == 400 and not errorcode and _names_one_event(url)):
        kind = NotFoundError
    elif status == 409:
        kind = NotEditableError if errorcode == 409 else ConflictError
    elif status == 401:
        kind = AuthenticationError
    elif status == 403:
        kind = PermissionDeniedError
    elif status == 429:
        kind = RateLimitError
    elif status >= 500:
        kind = ServerError
    else:
        kind = BadRequestError
    errors = envelope.get("validationErrors")
    wait: float | None = None
    if retry_after is not None:
        try:
            wait = float(retry_after)
        except ValueError:
            wait = None
    return kind(
        status=status,
        errorcode=errorcode,
        message=message,
        method=method,
        url=url,
        documentation=str(envelope.get("documentation") or ""),
        validation_errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
        body=body,
        retry_after=wait,
    )
