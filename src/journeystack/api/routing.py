"""The route table: one list both dispatch and the OpenAPI document are built from.

Paths are matched on the raw (still percent-encoded) path split at `/`, so a `key:` value may hold an
encoded `/`; empty segments are dropped, which accepts a trailing `/` and a doubled leading `/`.
Literal segments match case-insensitively, as SFMC's .NET routing does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from journeystack.errors import MethodNotAllowed, RouteNotFound

from .http import ApiRequest, ApiResponse

Handler = Callable[[ApiRequest], ApiResponse]
Schema = type[Any] | dict[str, Any]
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Answer:
    """A documented answer whose body is not SFMC's error envelope (the default for an error
    status): its own schema and media type, or no body at all (`schema=None`)."""

    description: str
    schema: Schema | None = None
    media_type: str = JSON


# The success of a route that answers an empty 200, as SFMC documents stop and event-definition DELETE.
EMPTY_OK = Answer("OK, with no body (as SFMC documents it).")


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
    # Query parameters the handler reads: names (any string), or names with their JSON Schema.
    query: tuple[str, ...] | dict[str, dict[str, Any]] = ()
    # Query parameters without which the handler refuses the call (400).
    required_query: tuple[str, ...] = ()
    # JSON Schema of path parameters that take less than any non-empty string.
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    request_schema: Schema | None = None
    response_schema: Schema | None = None
    # Other documented answers: a description (the body is SFMC's error envelope) or an Answer.
    responses: Mapping[int, str | Answer] = field(default_factory=dict)
    tag: str = "journeys"
    # What a successful call answers: its status and the media type of `response_schema`.
    status: int = 200
    media_type: str = JSON
    request_media_type: str = JSON
    # Whether the request body may be left out (pause, history filters, ...).
    body_optional: bool = False
    # OpenAPI links from the success answer to the operations it feeds (stateful tests follow them).
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Control-plane route: needs the admin token (never an SFMC token); see api/control.py.
    admin: bool = False
    # A handler whose work can take long (many rows, a long computation): the pipeline runs it in a
    # worker thread even on SQLite, where handlers otherwise run on the event loop (api/app.py).
    blocking: bool = False

    def segments(self) -> list[str]:
        return [s for s in self.template.split("/") if s]

    def refuses_other_media_types(self) -> bool:
        """Whether a body sent as anything but JSON is refused (415): the SFMC and control-plane
        routes that read a JSON body. /v2/token (no token needed) reads its body itself and
        answers in OAuth's terms."""
        return (
            self.request_schema is not None
            and self.request_media_type == JSON
            and (self.authenticated or self.admin)
        )

    def query_schemas(self) -> dict[str, dict[str, Any]]:
        if isinstance(self.query, dict):
            return self.query
        return {name: {"type": "string"} for name in self.query}


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
        # Candidates by (segment count, first segment): every route's first segment is literal
        # (the root, `/`, has none), so a request is compared only with the few routes that
        # could match it, in table order.
        self._candidates: dict[tuple[int, str], list[tuple[Route, list[_Segment]]]] = {}
        for route in routes:
            pattern = [_compile(segment) for segment in route.segments()]
            if pattern and pattern[0][0] != _LITERAL:
                raise ValueError(f"a route's first segment must be literal: {route.template}")
            first = pattern[0][1] if pattern else ""
            self._candidates.setdefault((len(pattern), first), []).append((route, pattern))

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
