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
    # A handler whose work can take long (many rows, a long computation): the pipeline runs it in a
    # worker thread even on SQLite, where handlers otherwise run on the event loop (api/app.py).
    blocking: bool = False

    def segments(self) -> list[str]:
        return [s for s in self.template.split("/") if s]


# A route's path segment, compiled: (kind, text, parameter name). Kinds: a literal segment (text
# lower-cased), a whole-segment parameter `{id}`, or a prefixed one `key:{key}` (text "key:").
_LITERAL, _PARAMETER, _PREFIXED = 0, 1, 2
_Segment = tuple[int, str, str]


def _compile(pattern: str) -> _Segment:
    if pattern.startswith("{") and pattern.endswith("}"):
        return _PARAMETER, "", pattern[1:-1]
    if pattern.endswith("}") and ":{" in pattern:
        prefix, _, name = pattern.partition(":{")
        return _PREFIXED, prefix.lower() + ":", name[:-1]
    return _LITERAL, pattern.lower(), ""


def _match(pattern: list[_Segment], actual: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for (kind, text, name), segment in zip(pattern, actual, strict=True):
        if kind == _LITERAL:
            if segment != text and unquote(segment).lower() != text:
                return None
        elif kind == _PARAMETER:
            if segment[:4].lower() == "key:":
                return None  # `key:` addressing has its own routes
            params[name] = unquote(segment)
        else:
            if segment[: len(text)].lower() != text:
                return None
            params[name] = unquote(segment[len(text) :])
    return params


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        # Candidates by (segment count, first segment): every route's first segment is literal,
        # so a request is compared only with the few routes that could match it, in table order.
        self._candidates: dict[tuple[int, str], list[tuple[Route, list[_Segment]]]] = {}
        for route in routes:
            pattern = [_compile(segment) for segment in route.segments()]
            if not pattern or pattern[0][0] != _LITERAL:
                raise ValueError(f"a route's first segment must be literal: {route.template}")
            self._candidates.setdefault((len(pattern), pattern[0][1]), []).append((route, pattern))

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        """The route for a request and its path parameters. Raises RouteNotFound, MethodNotAllowed."""
        actual = [s for s in raw_path.split("/") if s]
        allowed: list[str] = []
        first = unquote(actual[0]).lower() if actual else ""
        for route, pattern in self._candidates.get((len(actual), first), ()):
            params = _match(pattern, actual)
            if params is not None:
                if route.method == method:
                    return route, params
                allowed.append(route.method)
        if allowed:
            raise MethodNotAllowed(sorted(set(allowed)))
        raise RouteNotFound()
