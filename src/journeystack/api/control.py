"""The control plane's place in the pipeline: admin token, request journal and fault injection.

One ControlPlane per process. Its journal and fault rules live in that process's memory: with
`serve --workers N` (or several servers on one database) each process has its own.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import replace

from journeystack import errors as e
from journeystack.config import Settings
from journeystack.console import is_console_path
from journeystack.domain.faults import answer_error
from journeystack.services.faults import FaultBook
from journeystack.storage.sql.admin import SqlStateStore
from journeystack.storage.sql.store import SqlStore

from .errors import render_error
from .http import ApiRequest, ApiResponse
from .journal import FAULT_HEADER, Journal
from .routes import admin, engine_admin
from .routes.admin import PREFIX, TAG
from .routing import Route
from .state import AppState

ADMIN_HEADER = "x-journeystack-admin-token"


def is_control_plane_path(path: str) -> bool:
    """Whether a raw request path is under the reserved prefix (as the router would match it)."""
    first = path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
    return first.lower() == PREFIX[1:]


class ControlPlane:
    def __init__(self, settings: Settings, store: SqlStore, state: AppState) -> None:
        self.settings = settings
        self.enabled = settings.control_plane
        self.admin_token = settings.admin_token or secrets.token_urlsafe(24)
        self.state = state
        self.state_store = SqlStateStore(store)
        self.faults = FaultBook()
        self.journal = Journal(
            size=settings.journal_size,
            body_cap=settings.journal_body_bytes,
            clock=state.ctx.clock,
            enabled=self.enabled and settings.journal,
        )

    def routes(self) -> list[Route]:
        """The control-plane routes; none when it is disabled, so its prefix answers 404."""
        if not self.enabled:
            return []
        return admin.routes(self) + engine_admin.routes(self.state, self.state.engine)

    def authorize(self, headers: dict[str, str]) -> None:
        """Raises AdminNotAuthenticated unless either admin header carries the admin token."""
        expected = self.admin_token.encode("utf-8")
        candidates = [headers.get(ADMIN_HEADER, "")]
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            candidates.append(credential.strip())
        if not any(c and hmac.compare_digest(c.encode("utf-8"), expected) for c in candidates):
            given = any(candidates)
            raise e.AdminNotAuthenticated(reason="wrong admin token" if given else "no admin token")

    def owns(self, route: Route) -> bool:
        """Whether a route is the control plane's own (never faulted)."""
        return route.admin or route.tag == TAG

    def with_faults(self, route: Route) -> Route:
        """The route, answering as the fault rules say before its own handler runs."""
        if not self.enabled or route.admin or route.tag in (TAG, "meta"):
            return route
        handler = route.handler
        faults = self.faults

        def faulted(request: ApiRequest) -> ApiResponse:
            mid = request.grant.mid if request.grant is not None else None
            decision = faults.decide(request.method, request.path, mid)
            if decision is None:
                return handler(request)
            if decision.latency_ms:
                time.sleep(decision.latency_ms / 1000)
            if decision.answer is not None:
                raise answer_error(decision.answer, decision.marker)
            try:
                response = handler(request)
            except e.JourneystackError as error:
                response = render_error(error)
            response.headers[FAULT_HEADER] = decision.marker
            return response

        return replace(route, handler=faulted)

    def record(
        self,
        *,
        method: str,
        path: str,
        query: bytes,
        headers: dict[str, str],
        request: ApiRequest | None,
        response: ApiResponse,
        request_id: str,
        started: float,
    ) -> None:
        """Journal one call, unless the journal is off or the call was to the control plane or
        the console."""
        if not self.journal.enabled or is_control_plane_path(path) or is_console_path(path):
            return
        self.journal.record(
            method=method,
            path=path,
            query=query,
            headers=headers,
            request=request,
            response=response,
            request_id=request_id,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
