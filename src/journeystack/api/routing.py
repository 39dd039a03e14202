"""The route table: one list both dispatch and the OpenAPI document are built from.

Paths are matched on the raw (still percent-encoded) path split at `/`, so a `key:` value may hold an
encoded `/`; empty segments are dropped, which accepts a trailing `/` and a doubled leading `/`.
Literal segments match case-insensitively, as SFMC's .NET routing does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from journeystack.errors import MethodNotAllowed, RouteNotFound

from .http import ApiRequest, ApiResponse

Handler = Callable[[ApiRequest], ApiResponse]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    operation_id: str
    summary: str
    authenticated: bool = True
    scopes: tuple[str, ...] = ("journeys_read",)
    strict_scopes: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    request_schema: type[Any] | dict[str, Any] | None = None
    response_schema: type[Any] | dict[str, Any] | None = None
    responses: dict[int, str] = field(default_factory=dict)
    tag: str = "journeys"
    # Control-plane route: needs the admin token (never an SFMC token); see api/control.py.
    admin: bool = False

    def segments(self) -> list[str]:
        return [s for s in self.template.split("/") if s]


def _match_segment(pattern: str, actual: str, params: dict[str, str]) -> bool:
    if pattern.startswith("{") and pattern.endswith("}"):
        if actual.lower().startswith("key:"):
            return False  # `key:` addressing has its own routes
        params[pattern[1:-1]] = unquote(actual)
        return True
    if pattern.endswith("}") and ":{" in pattern:
        prefix, _, name = pattern.partition(":{")
        if actual[: len(prefix) + 1].lower() != prefix.lower() + ":":
            return False
        params[name[:-1]] = unquote(actual[len(prefix) + 1 :])
        return True
    return pattern.lower() == unquote(actual).lower()


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        # Candidates by (segment count, first segment): every route's first segment is literal,
        # so a request is compared only with the few routes that could match it, in table order.
        self._candidates: dict[tuple[int, str], list[tuple[Route, list[str]]]] = {}
        for route in routes:
            pattern = route.segments()
            if not pattern or pattern[0].endswith("}"):
                raise ValueError(f"a route's first segment must be literal: {route.template}")
            self._candidates.setdefault((len(pattern), pattern[0].lower()), []).append((route, pattern))

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        """The route for a request and its path parameters. Raises RouteNotFound, MethodNotAllowed."""
        actual = [s for s in raw_path.split("/") if s]
        allowed: list[str] = []
        first = unquote(actual[0]).lower() if actual else ""
        for route, pattern in self._candidates.get((len(actual), first), ()):
            params: dict[str, str] = {}
            if all(_match_segment(p, a, params) for p, a in zip(pattern, actual, strict=True)):
                if route.method == method:
                    return route, params
                allowed.append(route.method)
        if allowed:
            raise MethodNotAllowed(sorted(set(allowed)))
        raise RouteNotFound()
