"""The asynchronous client: `AsyncClient`, the same operations as `Client`, awaited."""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, TypeVar

import anyio
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


class AsyncClient:
    """`Client` for asyncio (or trio): the same arguments, every call awaited (see `Client`)."""

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
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = p.Credentials(auth_url, client_id, client_secret, account_id, scope)
        self.endpoints = p.Endpoints(rest_url, soap_url)
        self._tokens = p.TokenState(margin=refresh_margin)
        self._lock = anyio.Lock()
        self._clock = clock
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self.journeys = AsyncJourneys(self)
        self.event_definitions = AsyncEventDefinitions(self)
        self.folders = AsyncFolders(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def tokens_fetched(self) -> int:
        return self._tokens.fetched

    async def access_token(self) -> AccessToken:
        async with self._lock:
            current = self._tokens.current(self._clock())
            if current is not None:
                return current
            url = self.credentials.token_url()
            response = await self._http.post(url, json=self.credentials.token_request())
            reply = p.decode(response.status_code, response.content, "", soap_call=False)
            p.check(p.call("POST", url), reply, url=url, retry_after=None)
            return self._tokens.store(reply.body, self._clock())

    async def token(self) -> str:
        return (await self.access_token()).access_token

    async def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        return await self._run(p.one(p.call(method, path, params=params, json=json)))

    async def fire_event(
        self, contact_key: str, event_definition_key: str, data: Mapping[str, Any] | None = None
    ) -> str:
        return await self._run(p.fire_event(contact_key, event_definition_key, data))

    async def fire_events(
        self, event_definition_key: str, members: Iterable[Mapping[str, Any]]
    ) -> BatchResult:
        return await self._run(p.fire_events(event_definition_key, members))

    async def _run(self, plan: p.Plan[T]) -> T:
        try:
            step = next(plan)
            while True:
                if isinstance(step, p.Sleep):
                    await anyio.sleep(step.seconds)
                    step = plan.send(None)
                else:
                    step = plan.send(await self._send(step))
        except StopIteration as done:
            result: T = done.value
            return result

    async def _send(self, step: p.Call) -> p.Reply:
        for attempt in (1, 2):
            token = await self.access_token()
            url = self.endpoints.url_for(step, token)
            headers, content = p.encode(step, token.access_token)
            response = await self._http.request(
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
                async with self._lock:
                    if self._tokens.token is token:
                        self._tokens.forget()
                continue
            return reply
        raise AssertionError("unreachable")


class AsyncJourneys:
    """`Journeys`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def get(
        self, key: str | None = None, *, id: str | None = None, version: int | None = None,
        extras: str | None = "activities",
    ) -> Journey:  # fmt: skip
        return await self._client._run(p.get_journey(key, id, version, extras))

    async def page(self, page: int = 1, page_size: int = 50, **filters: Any) -> Page[Journey]:
        return await self._client._run(p.journey_page(page, page_size, filters))

    async def list(self, page_size: int = p.MAX_PAGE_SIZE, **filters: Any) -> AsyncIterator[Journey]:
        number = 1
        while True:
            found = await self.page(number, page_size, **filters)
            for item in found.items:
                yield item
            if not found.items or number * found.page_size >= found.count:
                return
            number += 1

    async def create(self, journey: Journey | Mapping[str, Any]) -> Journey:
        return await self._client._run(p.create_journey(journey))

    async def update(self, journey: Journey | Mapping[str, Any]) -> Journey:
        return await self._client._run(p.update_journey(journey))

    async def delete(
        self, key: str | None = None, *, id: str | None = None, version: int | None = None
    ) -> str:
        return await self._client._run(p.delete_journey(key, id, version))

    async def publish(
        self, journey: Journey | str, version: int | None = None, *, timeout: float = 60.0,
        poll_interval: float = 0.25,
    ) -> OperationStatus:  # fmt: skip
        return await self._client._run(p.run_operation("publish", journey, version, timeout, poll_interval))

    async def validate(
        self, journey: Journey | str, version: int | None = None, *, timeout: float = 60.0,
        poll_interval: float = 0.25,
    ) -> OperationStatus:  # fmt: skip
        return await self._client._run(p.run_operation("validate", journey, version, timeout, poll_interval))

    async def start_publish(self, journey: Journey | str, version: int | None = None) -> str:
        return await self._client._run(p.start_operation("publish", journey, version))

    async def publish_status(self, status_id: str) -> OperationStatus:
        return await self._client._run(p.operation_status("publish", status_id))

    async def stop(self, journey: Journey | str, version: int | None = None) -> None:
        await self._client._run(p.stop_journey(journey, version))

    async def pause(
        self, journey: Journey | str, version: int | None = None, *, all_versions: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> None:  # fmt: skip
        await self._client._run(p.pause_or_resume("pause", journey, version, all_versions, options))

    async def resume(
        self, journey: Journey | str, version: int | None = None, *, all_versions: bool = False
    ) -> None:
        await self._client._run(p.pause_or_resume("resume", journey, version, all_versions, None))

    async def audit(
        self, journey: Journey | str, action: str = "all", *, version: int | None = None, page_size: int = 50
    ) -> AsyncIterator[AuditEntry]:
        number = 1
        while True:
            found = await self._client._run(p.audit_page(journey, action, version, number, page_size))
            for item in found.items:
                yield item
            if not found.items or number * found.page_size >= found.count:
                return
            number += 1


class AsyncEventDefinitions:
    """`EventDefinitions`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def get(self, key: str | None = None, *, id: str | None = None) -> EventDefinition:
        return await self._client._run(p.get_event(key, id))

    async def page(
        self, page: int = 1, page_size: int = 50, *, name: str | None = None
    ) -> Page[EventDefinition]:
        return await self._client._run(p.event_page(page, page_size, name))

    async def list(self, page_size: int = 100, *, name: str | None = None) -> AsyncIterator[EventDefinition]:
        number = 1
        while True:
            found = await self.page(number, page_size, name=name)
            for item in found.items:
                yield item
            if not found.items or number * found.page_size >= found.count:
                return
            number += 1

    async def create(self, event: EventDefinition | Mapping[str, Any]) -> EventDefinition:
        return await self._client._run(p.create_event(event))

    async def update(self, event: EventDefinition | Mapping[str, Any]) -> EventDefinition:
        return await self._client._run(p.update_event(event))

    async def delete(self, key: str | None = None, *, id: str | None = None) -> None:
        await self._client._run(p.delete_event(key, id))


class AsyncFolders:
    """`Folders`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def list(self, content_type: str = "journey") -> builtins.list[Folder]:
        return await self._client._run(p.list_folders(content_type))

    async def root(self, content_type: str = "journey") -> Folder:
        return await self._client._run(p.root_folder(content_type))

    async def create(self, name: str, parent_id: int | None = None, content_type: str = "journey") -> Folder:
        parent = parent_id if parent_id is not None else (await self.root(content_type)).id
        return await self._client._run(p.create_folder(name, parent, content_type))
