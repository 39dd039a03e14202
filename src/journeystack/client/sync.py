"""The synchronous client: `Client`, and its journeys, event definitions and folders."""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import httpx

from . import _plans as p
from .errors import AuthenticationError
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


class Client:
    """A client of the Journey Builder Interaction API, for SFMC and journeystack alike.

    `auth_url` is where tokens come from (`.../v2/token` is appended unless it is there): for SFMC
    your tenant's `https://<subdomain>.auth.marketingcloudapis.com/`, for journeystack its base URL.
    REST and SOAP calls go where the token answer says (`rest_instance_url`, `soap_instance_url`)
    unless `rest_url`/`soap_url` are given. Tokens are fetched when first needed and replaced
    `refresh_margin` seconds before they expire; a token the server stops accepting (401) is
    replaced once, and the call repeated.
    """

    def __init__(
        self,
        auth_url: str,
        client_id: str,
        client_secret: str,
        *,
        account_id: int | str | None = None,
        scope: str | None = None,
        rest_url: str | None = None,
        soap_url: str | None = None,
        timeout: float = 30.0,
        refresh_margin: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = p.Credentials(auth_url, client_id, client_secret, account_id, scope)
        self.endpoints = p.Endpoints(rest_url, soap_url)
        self._tokens = p.TokenState(margin=refresh_margin)
        self._lock = threading.Lock()
        self._clock = clock
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self.journeys = Journeys(self)
        self.event_definitions = EventDefinitions(self)
        self.folders = Folders(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def tokens_fetched(self) -> int:
        """How many tokens this client has fetched so far."""
        return self._tokens.fetched

    def access_token(self) -> AccessToken:
        """The current token, fetched or replaced first if it is missing or about to expire."""
        with self._lock:
            current = self._tokens.current(self._clock())
            if current is not None:
                return current
            url = self.credentials.token_url()
            response = self._http.post(url, json=self.credentials.token_request())
            reply = p.decode(response.status_code, response.content, "", soap_call=False)
            p.check(p.call("POST", url), reply, url=url, retry_after=None)
            return self._tokens.store(reply.body, self._clock())

    def token(self) -> str:
        """The current access token's text."""
        return self.access_token().access_token

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        """Any REST call (path relative to the REST base, e.g. `interaction/v1/interactions`) with the
        managed token; returns the decoded JSON answer. Raises SfmcError for an error answer."""
        return self._run(p.one(p.call(method, path, params=params, json=json)))

    def fire_event(
        self, contact_key: str, event_definition_key: str, data: Mapping[str, Any] | None = None
    ) -> str:
        """POST /interaction/v1/events: one contact enters the journeys the event starts; returns
        the eventInstanceId."""
        return self._run(p.fire_event(contact_key, event_definition_key, data))

    def fire_events(self, event_definition_key: str, members: Iterable[Mapping[str, Any]]) -> BatchResult:
        """POST /interaction/v1/async/events: up to 100 members `{"contactKey", "data"}` at once."""
        return self._run(p.fire_events(event_definition_key, members))

    def _run(self, plan: p.Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                if isinstance(step, p.Sleep):
                    time.sleep(step.seconds)
                    step = plan.send(None)
                else:
                    step = plan.send(self._send(step))
        except StopIteration as done:
            result: T = done.value
            return result

    def _send(self, step: p.Call) -> p.Reply:
        for attempt in (1, 2):
            token = self.access_token()
            url = self.endpoints.url_for(step, token)
            headers, content = p.encode(step, token.access_token)
            response = self._http.request(
                step.method, url, params=step.params, headers=headers, content=content
            )
            reply = p.decode(
                response.status_code,
                response.content,
                response.headers.get("content-type", ""),
                soap_call=step.soap_action is not None,
            )
            try:
                p.check(step, reply, url=url, retry_after=response.headers.get("retry-after"))
            except AuthenticationError:
                if attempt == 2:
                    raise
                with self._lock:
                    if self._tokens.token is token:
                        self._tokens.forget()
                continue
            return reply
        raise AssertionError("unreachable")


class Journeys:
    """Journey versions: read, list, create, update, delete, publish, validate, stop, pause, resume, audit."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def get(
        self, key: str | None = None, *, id: str | None = None, version: int | None = None,
        extras: str | None = "activities",
    ) -> Journey:  # fmt: skip
        """One version (default: the latest) by key or id. Raises NotFoundError."""
        return self._client._run(p.get_journey(key, id, version, extras))

    def page(self, page: int = 1, page_size: int = 50, **filters: Any) -> Page[Journey]:
        """One page of the list; filters are the API's query parameters (status=, key=, extras=,
        mostRecentVersionOnly=, nameOrDescription=, definitionType=, id=, **{"$orderBy": ...})."""
        return self._client._run(p.journey_page(page, page_size, filters))

    def list(self, page_size: int = p.MAX_PAGE_SIZE, **filters: Any) -> Iterator[Journey]:
        """Every journey that matches, page after page."""
        number = 1
        while True:
            found = self.page(number, page_size, **filters)
            yield from found.items
            if not found.items or number * found.page_size >= found.count:
                return
            number += 1

    def create(self, journey: Journey | Mapping[str, Any]) -> Journey:
        """POST: a new journey, or version n+1 of a key whose latest version is not a Draft."""
        return self._client._run(p.create_journey(journey))

    def update(self, journey: Journey | Mapping[str, Any]) -> Journey:
        """PUT the Draft version the journey names (key, version), carrying its modifiedDate.

        Raises StaleModifiedDateError (30000) when it was saved since it was read, NotEditableError
        (409) when the version is not an editable Draft, NotFoundError (30003)."""
        return self._client._run(p.update_journey(journey))

    def delete(self, key: str | None = None, *, id: str | None = None, version: int | None = None) -> str:
        """Delete one version, or every version; returns the journey id."""
        return self._client._run(p.delete_journey(key, id, version))

    def publish(
        self, journey: Journey | str, version: int | None = None, *, timeout: float = 60.0,
        poll_interval: float = 0.25,
    ) -> OperationStatus:  # fmt: skip
        """publishAsync, then poll publishStatus until it is done (after 50 ms, then less often, up
        to every `poll_interval` seconds). `journey` is a Journey, an id, or 'key:KEY' (then pass
        `version`). Raises OperationFailedError (status Error, with its errors) and
        OperationTimeoutError."""
        return self._client._run(p.run_operation("publish", journey, version, timeout, poll_interval))

    def validate(
        self, journey: Journey | str, version: int | None = None, *, timeout: float = 60.0,
        poll_interval: float = 0.25,
    ) -> OperationStatus:  # fmt: skip
        """validateAsync, then poll validateStatus; returns the outcome, errors and all."""
        return self._client._run(p.run_operation("validate", journey, version, timeout, poll_interval))

    def start_publish(self, journey: Journey | str, version: int | None = None) -> str:
        """publishAsync alone; returns the statusId to pass to publish_status()."""
        return self._client._run(p.start_operation("publish", journey, version))

    def publish_status(self, status_id: str) -> OperationStatus:
        return self._client._run(p.operation_status("publish", status_id))

    def stop(self, journey: Journey | str, version: int | None = None) -> None:
        self._client._run(p.stop_journey(journey, version))

    def pause(
        self, journey: Journey | str, version: int | None = None, *, all_versions: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> None:  # fmt: skip
        """Pause one version, or every version; `options` is SFMC's body (PausedDays, ...)."""
        self._client._run(p.pause_or_resume("pause", journey, version, all_versions, options))

    def resume(
        self, journey: Journey | str, version: int | None = None, *, all_versions: bool = False
    ) -> None:
        self._client._run(p.pause_or_resume("resume", journey, version, all_versions, None))

    def audit(
        self, journey: Journey | str, action: str = "all", *, version: int | None = None, page_size: int = 50
    ) -> Iterator[AuditEntry]:
        """The audit log, newest first (all, create, modify, publish, unpublish, delete, stop, pause,
        resume), page after page."""
        number = 1
        while True:
            found = self._client._run(p.audit_page(journey, action, version, number, page_size))
            yield from found.items
            if not found.items or number * found.page_size >= found.count:
                return
            number += 1


class EventDefinitions:
    """Entry event definitions."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def get(self, key: str | None = None, *, id: str | None = None) -> EventDefinition:
        return self._client._run(p.get_event(key, id))

    def page(self, page: int = 1, page_size: int = 50, *, name: str | None = None) -> Page[EventDefinition]:
        return self._client._run(p.event_page(page, page_size, name))

    def list(self, page_size: int = 100, *, name: str | None = None) -> Iterator[EventDefinition]:
        number = 1
        while True:
            found = self.page(number, page_size, name=name)
            yield from found.items
            if not found.items or number * found.page_size >= found.count:
                return
            number += 1

    def create(self, event: EventDefinition | Mapping[str, Any]) -> EventDefinition:
        return self._client._run(p.create_event(event))

    def update(self, event: EventDefinition | Mapping[str, Any]) -> EventDefinition:
        return self._client._run(p.update_event(event))

    def delete(self, key: str | None = None, *, id: str | None = None) -> None:
        self._client._run(p.delete_event(key, id))


class Folders:
    """Folders, through SOAP (DataFolder); journeys live in ContentType `journey`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self, content_type: str = "journey") -> builtins.list[Folder]:
        return self._client._run(p.list_folders(content_type))

    def root(self, content_type: str = "journey") -> Folder:
        return self._client._run(p.root_folder(content_type))

    def create(self, name: str, parent_id: int | None = None, content_type: str = "journey") -> Folder:
        """A folder under `parent_id` (default: the root folder of the content type)."""
        parent = parent_id if parent_id is not None else self.root(content_type).id
        return self._client._run(p.create_folder(name, parent, content_type))
