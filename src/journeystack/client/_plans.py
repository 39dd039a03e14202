"""The client's logic, written once for the synchronous and the asynchronous client.

Each operation is a plan: a generator that yields the HTTP calls (and pauses) it needs and receives
their replies, then returns its result. `Client` and `AsyncClient` only drive plans, so both behave
the same down to the last query parameter.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import orjson
from pydantic import BaseModel

from . import soap
from .errors import BadRequestError, OperationFailedError, OperationTimeoutError, error_for
from .models import (
    AccessToken,
    AuditEntry,
    BatchResult,
    EventDefinition,
    Folder,
    Journey,
    OperationStatus,
    Page,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

INTERACTIONS: Final = "interaction/v1/interactions"
EVENT_DEFINITIONS: Final = "interaction/v1/eventDefinitions"
MAX_PAGE_SIZE: Final = 500
FIRST_POLL: Final = 0.05


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request: to the REST base (or, with `soap_action`, the SOAP endpoint)."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    has_body: bool = False
    soap_action: str | None = None
    soap_body: str = ""
    # Statuses that are answers, not errors (304 for an update that changed nothing).
    accept: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any  # decoded JSON, the text of a SOAP answer, or None


Step = Call | Sleep
Plan = Generator[Step, Reply | None, T]


def call(method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
         has_body: bool = False, accept: Iterable[int] = ()) -> Call:  # fmt: skip
    clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
    return Call(method, path, clean or None, json, has_body or json is not None, accept=frozenset(accept))


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _reply(reply: Reply | None) -> Reply:
    assert reply is not None, "a Call is always answered with a Reply"
    return reply


def one(step: Call) -> Plan[Any]:
    """A plan of one call that returns its decoded body."""
    return _reply((yield step)).body


# --- tokens ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Credentials:
    auth_url: str
    client_id: str
    client_secret: str
    account_id: int | str | None = None
    scope: str | None = None

    def token_url(self) -> str:
        base = self.auth_url.rstrip("/")
        return base if base.endswith("/v2/token") else base + "/v2/token"

    def token_request(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.account_id is not None:
            body["account_id"] = self.account_id
        if self.scope:
            body["scope"] = self.scope
        return body


@dataclass(slots=True)
class TokenState:
    """The current access token and when to replace it: `margin` seconds before it expires (half its
    lifetime for short-lived tokens), so no request goes out with a token about to lapse."""

    margin: float = 60.0
    token: AccessToken | None = None
    refresh_at: float = 0.0
    fetched: int = 0

    def current(self, now: float) -> AccessToken | None:
        return self.token if self.token is not None and now < self.refresh_at else None

    def store(self, body: Any, now: float) -> AccessToken:
        token = AccessToken.model_validate(body)
        self.token = token
        self.refresh_at = now + max(0.0, token.expires_in - min(self.margin, token.expires_in / 2))
        self.fetched += 1
        return token

    def forget(self) -> None:
        self.token = None
        self.refresh_at = 0.0


@dataclass(slots=True)
class Endpoints:
    """Where REST and SOAP calls go: given, or as the token answer names them."""

    rest_url: str | None = None
    soap_url: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def url_for(self, step: Call, token: AccessToken | None) -> str:
        if step.soap_action is not None:
            base = self.soap_url or (token.soap_instance_url if token else None) or self.rest_url or ""
            return _join(base, "Service.asmx")
        base = self.rest_url or (token.rest_instance_url if token else None) or ""
        return _join(base, step.path)


def _join(base: str, path: str) -> str:
    if not base:
        raise ValueError(
            "no REST base URL: give rest_url, or use an auth server that answers rest_instance_url"
        )
    return base.rstrip("/") + "/" + path.lstrip("/")


def encode(step: Call, token: str) -> tuple[dict[str, str], bytes | None]:
    """Headers and body bytes of a call."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if step.soap_action is not None:
        headers.update({"Content-Type": "text/xml; charset=utf-8", "SOAPAction": step.soap_action})
        return headers, soap.envelope(step.soap_body, token).encode("utf-8")
    if step.has_body:
        headers["Content-Type"] = "application/json"
        return headers, orjson.dumps(step.json)
    return headers, None


def decode(status: int, content: bytes, content_type: str, *, soap_call: bool) -> Reply:
    if soap_call and "json" not in content_type:
        return Reply(status, content.decode("utf-8", "replace"))
    if not content.strip():
        return Reply(status, None)
    try:
        return Reply(status, orjson.loads(content))
    except orjson.JSONDecodeError:
        return Reply(status, content.decode("utf-8", "replace"))


def check(step: Call, reply: Reply, *, url: str, retry_after: str | None) -> None:
    """Raises the SfmcError an answer stands for, if it is one."""
    if reply.status in step.accept:
        return
    if reply.status >= 300:
        raise error_for(reply.status, reply.body, method=step.method, url=url, retry_after=retry_after)
    if isinstance(reply.body, dict) and isinstance(reply.body.get("errorcode"), int) and reply.status == 202:
        # SFMC answers a pause or resume without versionNumber/allVersions with 202 and an error body.
        raise error_for(400, reply.body, method=step.method, url=url)


# --- journeys ----------------------------------------------------------------------------------------


def _wire(document: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(document, BaseModel):
        dumped: dict[str, Any] = document.model_dump(mode="json", exclude_unset=True)
        return dumped
    return dict(document)


def _selector(key: str | None, id: str | None) -> str:
    if (key is None) == (id is None):
        raise ValueError("name the journey by exactly one of key or id")
    return (
        f"key:{urllib.parse.quote(key, safe='')}" if key is not None else urllib.parse.quote(str(id), safe="")
    )


def _target(journey: Journey | str, version: int | None) -> tuple[str, int]:
    """The path selector and version of a journey given as a Journey or as an id (or 'key:KEY')."""
    if isinstance(journey, Journey):
        selector = journey.id if journey.id else f"key:{journey.key}"
        number = version if version is not None else journey.version
    else:
        selector, number = journey, version
    if number is None:
        raise ValueError("the version number is needed: pass version=, or a Journey read from the server")
    if selector.startswith("key:"):
        return "key:" + urllib.parse.quote(selector[4:], safe=""), number
    return urllib.parse.quote(selector, safe=""), number


def get_journey(key: str | None, id: str | None, version: int | None, extras: str | None) -> Plan[Journey]:
    body = yield from one(
        call(
            "GET", f"{INTERACTIONS}/{_selector(key, id)}", params={"versionNumber": version, "extras": extras}
        )
    )
    return Journey.model_validate(body)


def journey_page(page: int, page_size: int, filters: Mapping[str, Any]) -> Plan[Page[Journey]]:
    params = {"$page": page, "$pageSize": page_size, **filters}
    return Page[Journey].model_validate((yield from one(call("GET", INTERACTIONS, params=params))))


def create_journey(journey: Journey | Mapping[str, Any]) -> Plan[Journey]:
    return Journey.model_validate((yield from one(call("POST", INTERACTIONS, json=_wire(journey)))))


def update_journey(journey: Journey | Mapping[str, Any]) -> Plan[Journey]:
    """PUT the version named by the body's key and version, carrying the modifiedDate it holds."""
    body = _wire(journey)
    missing = [name for name in ("key", "version", "modifiedDate") if body.get(name) is None]
    if missing:
        raise ValueError(
            f"update() needs {', '.join(missing)}: update a journey as read from the server (get() or create())"
        )
    reply = _reply((yield call("PUT", INTERACTIONS, json=body, accept=(304,))))
    if reply.status == 304:  # nothing changed: the stored version is the one sent
        return journey if isinstance(journey, Journey) else Journey.model_validate(body)
    return Journey.model_validate(reply.body)


def delete_journey(key: str | None, id: str | None, version: int | None) -> Plan[str]:
    body = yield from one(
        call("DELETE", f"{INTERACTIONS}/{_selector(key, id)}", params={"versionNumber": version})
    )
    return str(body)


def start_operation(kind: str, journey: Journey | str, version: int | None) -> Plan[str]:
    selector, number = _target(journey, version)
    body = yield from one(
        call("POST", f"{INTERACTIONS}/{kind}Async/{selector}", params={"versionNumber": number}, json={})
    )
    return str(body["statusId"])


def operation_status(kind: str, status_id: str) -> Plan[OperationStatus]:
    path = f"{INTERACTIONS}/{kind}Status/{urllib.parse.quote(status_id, safe='')}"
    return OperationStatus.model_validate((yield from one(call("GET", path))))


def run_operation(
    kind: str, journey: Journey | str, version: int | None, timeout: float, poll_interval: float
) -> Plan[OperationStatus]:
    """Start a publish or validate and poll its status until it leaves *InProcess.

    Raises OperationTimeoutError after `timeout` seconds; a publish that ends in Error raises
    OperationFailedError (a validate returns its status, errors and all)."""
    status_id = yield from start_operation(kind, journey, version)
    deadline = time.monotonic() + timeout
    last: OperationStatus | None = None
    # Poll soon, then less and less often, up to every `poll_interval` seconds: journeystack's test
    # servers finish in a tenth of a second, SFMC in seconds.
    wait = min(FIRST_POLL, poll_interval)
    while True:
        last = yield from operation_status(kind, status_id)
        if not last.in_process:
            break
        if time.monotonic() >= deadline:
            raise OperationTimeoutError(kind, status_id, timeout, last)
        yield Sleep(wait)
        wait = min(wait * 2, poll_interval)
    if kind == "publish" and not last.completed:
        raise OperationFailedError(kind, last)
    return last


def stop_journey(journey: Journey | str, version: int | None) -> Plan[None]:
    selector, number = _target(journey, version)
    yield from one(call("POST", f"{INTERACTIONS}/stop/{selector}", params={"versionNumber": number}))


def pause_or_resume(
    action: str,
    journey: Journey | str,
    version: int | None,
    all_versions: bool,
    options: Mapping[str, Any] | None,
) -> Plan[None]:
    if all_versions:
        selector, _ = _target(journey, 0)
        params: dict[str, Any] = {"allVersions": True}
    else:
        selector, number = _target(journey, version)
        params = {"versionNumber": number}
    yield from one(
        call("POST", f"{INTERACTIONS}/{action}/{selector}", params=params, json=dict(options or {}))
    )


def audit_page(
    journey: Journey | str, action: str, version: int | None, page: int, page_size: int
) -> Plan[Page[AuditEntry]]:
    if isinstance(journey, Journey):
        selector = urllib.parse.quote(journey.id, safe="") if journey.id else _selector(journey.key, None)
    else:
        selector, _ = _target(journey, 0)
    params = {"versionNumber": version, "$page": page, "$pageSize": page_size}
    body = yield from one(call("GET", f"{INTERACTIONS}/{selector}/audit/{action}", params=params))
    return Page[AuditEntry].model_validate(body)


# --- event definitions -------------------------------------------------------------------------------


def get_event(key: str | None, id: str | None) -> Plan[EventDefinition]:
    body = yield from one(call("GET", f"{EVENT_DEFINITIONS}/{_selector(key, id)}"))
    return EventDefinition.model_validate(body)


def event_page(page: int, page_size: int, name: str | None) -> Plan[Page[EventDefinition]]:
    params = {"$page": page, "$pageSize": page_size, "name": name}
    return Page[EventDefinition].model_validate(
        (yield from one(call("GET", EVENT_DEFINITIONS, params=params)))
    )


def create_event(event: EventDefinition | Mapping[str, Any]) -> Plan[EventDefinition]:
    body = yield from one(call("POST", EVENT_DEFINITIONS, json=_wire(event)))
    return EventDefinition.model_validate(body)


def update_event(event: EventDefinition | Mapping[str, Any]) -> Plan[EventDefinition]:
    body = _wire(event)
    key = body.get("eventDefinitionKey")
    if not isinstance(key, str):
        raise ValueError("update() needs the event definition's eventDefinitionKey")
    answer = yield from one(call("PUT", f"{EVENT_DEFINITIONS}/{_selector(key, None)}", json=body))
    return EventDefinition.model_validate(answer)


def delete_event(key: str | None, id: str | None) -> Plan[None]:
    yield from one(call("DELETE", f"{EVENT_DEFINITIONS}/{_selector(key, id)}"))


# --- entry events ------------------------------------------------------------------------------------


def fire_event(contact_key: str, event_definition_key: str, data: Mapping[str, Any] | None) -> Plan[str]:
    body = {"ContactKey": contact_key, "EventDefinitionKey": event_definition_key, "Data": dict(data or {})}
    answer = yield from one(call("POST", "interaction/v1/events", json=body))
    return str(answer["eventInstanceId"])


def fire_events(event_definition_key: str, members: Iterable[Mapping[str, Any]]) -> Plan[BatchResult]:
    body = {"eventDefinitionKey": event_definition_key, "members": [dict(m) for m in members]}
    return BatchResult.model_validate(
        (yield from one(call("POST", "interaction/v1/async/events", json=body)))
    )


# --- folders (SOAP) ----------------------------------------------------------------------------------


def list_folders(content_type: str) -> Plan[list[Folder]]:
    reply = _reply((yield soap.retrieve_folders(content_type)))
    return soap.parse_folders(str(reply.body))


def create_folder(name: str, parent_id: int, content_type: str) -> Plan[Folder]:
    reply = _reply((yield soap.create_folder(name, parent_id, content_type)))
    new_id = soap.parse_created(str(reply.body))
    return Folder(id=new_id, name=name, parent_id=parent_id, content_type=content_type)


def root_folder(content_type: str) -> Plan[Folder]:
    folders = yield from list_folders(content_type)
    for folder in folders:
        if not folder.parent_id:
            return folder
    raise BadRequestError(
        status=200, errorcode=None, message=f"no root folder of content type {content_type}"
    )
