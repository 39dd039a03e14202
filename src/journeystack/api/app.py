"""create_app(settings): the ASGI application, its lifespan, and the request pipeline.

Every request: a request id, a capped body, route match, bearer-token check, one handler, and an
SFMC error body for anything that goes wrong. Services are synchronous. On SQLite a handler runs
right on the event loop: SQLite has one writer and answers a read in microseconds, so a hop to a
worker thread would only add hand-offs and GIL contention (docs/benchmarks.md). On PostgreSQL, where
a query waits on the network, and while fault rules are set (a latency rule sleeps), handlers run in
worker threads.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread
import orjson
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from journeystack import console, logs
from journeystack import errors as e
from journeystack.config import Settings, load_settings
from journeystack.domain.clock import Clock, SystemClock
from journeystack.domain.ids import IdGenerator, RandomIds
from journeystack.domain.outbound import OutboundPolicy
from journeystack.domain.runtime.sto import StoFunction, hashed_best_hour
from journeystack.engine.http import Exchange
from journeystack.engine.outbound import Caller
from journeystack.engine.worker import EngineWorker
from journeystack.services.context import ServiceContext
from journeystack.services.engine import Engine, EngineSettings
from journeystack.services.tokens import TokenService
from journeystack.services.worker import BackgroundWorker
from journeystack.storage.sql.store import SqlStore

from .control import ControlPlane
from .errors import render_error, render_internal_error
from .http import (
    ApiRequest,
    ApiResponse,
    json_response,
    normalise_query,
    reject_nul,
    reject_other_media_types,
)
from .openapi import build_openapi
from .routes import (
    dependencies,
    discovery,
    events,
    interactions,
    lifecycle,
    messaging,
    runtime,
    soap,
    tokens,
    transactional,
)
from .routing import Route, Router
from .state import AppState

log = logging.getLogger("journeystack.api")

# Bodies up to this size are handled on the event loop on SQLite; larger ones in a worker thread.
INLINE_BODY_BYTES = 64 * 1024
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class JourneystackApi:
    """The request pipeline as a plain ASGI app; `create_app` wraps it with Starlette's lifespan."""

    def __init__(self, settings: Settings, store: SqlStore, state: AppState) -> None:
        self.settings = settings
        self.store = store
        self.state = state
        self.control = ControlPlane(settings, store, state)
        self.inline = store.single_writer
        self._admin_threads: anyio.CapacityLimiter | None = None
        # Request ids: 32 hex digits, unique without asking the OS for randomness on every request.
        self._id_prefix = secrets.token_hex(8)
        self._ids = itertools.count(1)
        route_list: list[Route] = [
            *tokens.routes(state),
            *lifecycle.routes(state),
            *transactional.routes(state),
            *interactions.routes(state),
            *events.routes(state),
            *runtime.routes(state),
            *soap.routes(state),
            *dependencies.routes(state),
            *messaging.routes(state),
        ]
        route_list.append(discovery.route(route_list))
        route_list.append(discovery.root())
        route_list = [self.control.with_faults(r) for r in route_list] + self.control.routes()
        self.openapi = build_openapi(route_list)
        route_list.append(
            Route(
                "GET", "/openapi.json", lambda _r: json_response(self.openapi), "openapi",
                "This OpenAPI 3 document.", authenticated=False, scopes=(), tag="meta",
            )
        )  # fmt: skip
        # The web console: HTML pages, not part of the API's OpenAPI document (docs/console.md).
        route_list.extend(console.routes(self.control))
        self.router = Router(route_list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given_id = headers.get("x-request-id", "")
        request_id = (
            given_id if _REQUEST_ID.fullmatch(given_id) else f"{self._id_prefix}{next(self._ids):016x}"
        )
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        path = raw_path.decode("latin-1")
        request: ApiRequest | None = None
        try:
            body = await self._read_body(headers, receive)
            request = ApiRequest(
                method=scope["method"],
                path=path,
                params={},
                query=normalise_query(scope.get("query_string", b"")),
                headers=headers,
                body=body,
                base_url=_base_url(scope, headers),
                request_id=request_id,
            )
            matched = self._match(request)
            route = matched[0] if isinstance(matched, tuple) else None
            # Work grows with the body (parsing, checking, storing it): a large one goes off the loop.
            blocking = route is not None and (route.blocking or len(body) > INLINE_BODY_BYTES)
            # Fault rules (a latency rule sleeps) move handlers into worker threads, but never the
            # control plane's own: the admin must be able to remove a rule that starves the pool.
            faulted = bool(self.control.faults) and not (route is not None and self.control.owns(route))
            if self.inline and not faulted and not blocking:
                response = self._process(request, matched)
            elif route is not None and self.control.owns(route):
                # Its own few threads: a pool full of faulted (sleeping) calls cannot hold it up.
                if self._admin_threads is None:
                    self._admin_threads = anyio.CapacityLimiter(4)
                response = await anyio.to_thread.run_sync(
                    self._process, request, matched, limiter=self._admin_threads
                )
            else:
                response = await anyio.to_thread.run_sync(self._process, request, matched)
        except e.JourneystackError as error:
            response = render_error(error)
        response.headers["X-Request-Id"] = request_id
        await _send(send, response)
        if response.reason is not None:
            log.info("%d %s %s: %s", response.status, scope["method"], path.split("?", 1)[0], response.reason,
                     extra={"request_id": request_id})  # fmt: skip
        self.control.record(method=scope["method"], path=path, query=scope.get("query_string", b""),
                            headers=headers, request=request, response=response, request_id=request_id,
                            started=started)  # fmt: skip
        if self.settings.access_log:
            logs.access(
                scope["method"], path, response.status, (time.perf_counter() - started) * 1000, request_id
            )

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        limit = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise e.PayloadTooLarge(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise e.PayloadTooLarge(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _match(self, request: ApiRequest) -> tuple[Route, dict[str, str]] | e.JourneystackError:
        """The request's route and path parameters, or the routing error to answer with."""
        try:
            return self.router.match(request.method, request.path.split("?", 1)[0])
        except (e.RouteNotFound, e.MethodNotAllowed) as error:
            return error

    def _process(
        self, request: ApiRequest, matched: tuple[Route, dict[str, str]] | e.JourneystackError | None = None
    ) -> ApiResponse:
        if matched is None:
            matched = self._match(request)
        try:
            if isinstance(matched, e.JourneystackError):
                # Under /interaction nothing is answered, not even "no such route", without a token.
                if request.path.lstrip("/").lower().startswith("interaction"):
                    self.state.tokens.verify(_bearer(request.headers.get("authorization")))
                raise matched
            route, request.params = matched
            if route.admin:
                self.control.authorize(request.headers)
            if route.authenticated:
                request.grant = self.state.tokens.verify(_bearer(request.headers.get("authorization")))
                needed = route.scopes + (route.strict_scopes if self.settings.strict_scopes else ())
                if any(scope not in request.grant.scopes for scope in needed):
                    raise e.InsufficientPrivileges()
            if route.refuses_other_media_types():
                reject_other_media_types(request)
            reject_nul(request, reads_query=bool(route.query))
            return route.handler(request)
        except e.JourneystackError as error:
            return render_error(error)
        except Exception:
            log.exception("unexpected error", extra={"request_id": request.request_id})
            return render_internal_error()


def _bearer(header: str | None) -> str:
    """The access token of an `Authorization: Bearer <token>` header. Raises NotAuthenticated,
    its reason naming what is wrong with the header (never echoing it: it may hold a secret)."""
    if not header:
        raise e.NotAuthenticated(reason="no Authorization header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise e.NotAuthenticated(reason="the Authorization header is not 'Bearer <access token>'")
    return token.strip()


# A Host header as RFC 3986 allows it: a name or IPv4 address, or a bracketed IPv6 address, and
# an optional port. Anything else is never copied into a URL journeystack answers with.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
                   r"|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")  # fmt: skip


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    host = headers.get("host", "")
    if not _HOST.fullmatch(host):
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}" if ":" not in str(server[0]) else f"[{server[0]}]:{server[1]}"
    scheme = "https" if scope.get("scheme") == "https" else "http"
    return f"{scheme}://{host}/"


async def _send(send: Send, response: ApiResponse) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
    ]
    if response.body is not None:
        # JSON unless the handler said (SOAP); an empty body (stop, event-definition DELETE) has no type.
        if response.body and not any(name == b"content-type" for name, _ in headers):
            headers.append((b"content-type", b"application/json; charset=utf-8"))
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body or b""})


class _App(Starlette):
    """Starlette for the lifespan only; HTTP requests go straight to the pipeline, which answers
    every error itself, so Starlette's router and middleware would only add work."""

    def __init__(self, api: JourneystackApi, lifespan: Any) -> None:
        super().__init__(lifespan=lifespan)
        self._api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._api(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
) -> Starlette:
    """The journeystack ASGI application. Its lifespan applies pending migrations and closes pools."""
    store = SqlStore(
        settings.database_url, pool_size=settings.pool_size, max_overflow=settings.pool_max_overflow
    )
    packages = settings.installed_packages()
    caller = Caller(
        policy=OutboundPolicy.parse(settings.outbound_allow),
        secrets=jwt_secrets(settings, packages),
        max_in_flight=settings.outbound_max_in_flight,
        lease_grace_ms=int(settings.call_lease_seconds * 1000),
        poll_seconds=settings.engine_poll_seconds,
    )
    ctx = ServiceContext(
        uow=store,
        clock=clock or SystemClock(),
        ids=ids or RandomIds(),
        limits=settings.limits(),
        outbound=caller,
    )
    token_service = TokenService(ctx, packages, lifetime_seconds=settings.token_lifetime_seconds)
    engine = Engine(
        ctx,
        EngineSettings(
            seed=settings.random_seed,
            strict_binding=settings.strict_binding,
            batch_size=settings.engine_batch_size,
            sto=sto_function(settings.sto_function),
        ),
    )
    api = JourneystackApi(
        settings, store, AppState(settings=settings, ctx=ctx, tokens=token_service, engine=engine)
    )
    caller.on_exchange = _journal_outbound(api)

    worker = BackgroundWorker(
        ctx, poll_seconds=settings.worker_poll_seconds, lease_ms=int(settings.operation_lease_seconds * 1000)
    )
    engine_worker = EngineWorker(engine, poll_seconds=settings.engine_poll_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(store.upgrade)
        store.start_checkpoints()
        if api.inline:
            store.keep_reader_on_this_thread()  # the event loop's thread, where handlers run
        caller.start(engine)  # before the worker: publish operations make lifecycle calls through it
        worker.start()
        engine_worker.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(engine_worker.stop)
            await anyio.to_thread.run_sync(worker.stop)
            await anyio.to_thread.run_sync(caller.stop)  # last: the worker may be waiting on a call
            store.dispose()

    app = _App(api, lifespan)
    app.state.api = api
    app.state.worker = worker
    app.state.engine = engine
    app.state.caller = caller
    return app


def jwt_secrets(settings: Settings, packages: list[Any]) -> Any:
    """The JWT signing secret of a business unit's journeys: its package's (the first package that
    lists the MID), else the server's default (configured, or made here when `serve` did not)."""
    default = settings.jwt_signing_secret or secrets.token_urlsafe(32)
    by_mid: dict[int, str] = {}
    for package in packages:
        for mid in package.mids:
            by_mid.setdefault(mid, package.jwt_signing_secret or default)

    def secret_for(mid: int) -> str:
        return by_mid.get(mid, default)

    return secret_for


def sto_function(path: str | None) -> StoFunction:
    """The Einstein STO best-hour function a "module:function" setting names (default: hashed)."""
    if not path:
        return hashed_best_hour
    import importlib

    module_name, _, attribute = path.partition(":")
    found = getattr(importlib.import_module(module_name), attribute or "best_hour", None)
    if not callable(found):
        raise ValueError(f"JOURNEYSTACK_STO_FUNCTION {path!r} names nothing callable")
    function: StoFunction = found
    return function


def _journal_outbound(api: JourneystackApi) -> Any:
    journal = api.control.journal

    def record(exchange: Exchange) -> None:
        if not journal.enabled:
            return
        request = exchange.request
        headers = {"content-type": request.content_type, **{name.lower(): v for name, v in request.headers}}
        shown = orjson.dumps(request.shown) if request.shown is not None else request.body
        journal.record_outbound(
            method="POST", url=request.target.url, path=request.target.path.split("?", 1)[0],
            request_headers=headers, shown_body=shown, status=exchange.attempt.status,
            error=exchange.attempt.error, response_headers=exchange.response_headers,
            response_body=exchange.response_body, duration_ms=float(exchange.attempt.elapsed_ms),
            mid=request.mid, time_ms=exchange.started_wall_ms,
        )  # fmt: skip

    return record


def app_from_environment() -> Starlette:
    """The app built from JOURNEYSTACK_* variables: the factory each `serve --workers N` process
    imports (`journeystack.api.app:app_from_environment`); the CLI exports its settings first."""
    return create_app(load_settings())


def api_of(app: Any) -> JourneystackApi:
    """The pipeline inside an app made by create_app (tests and the CLI reach services through it)."""
    api: JourneystackApi = app.state.api
    return api
