"""The request and response shapes handlers see, and the query-string rules SFMC clients rely on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from journeystack.domain.auth import Grant
from journeystack.domain.queries import MAX_INTEGER
from journeystack.errors import InvalidRequest, Problem, UnsupportedMediaType

JSON = "application/json; charset=utf-8"


@dataclass(slots=True)
class ApiRequest:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str
    request_id: str
    grant: Grant | None = None

    @property
    def mid(self) -> int:
        assert self.grant is not None, "route declared without authentication"
        return self.grant.mid


@dataclass(slots=True)
class ApiResponse:
    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Why a refusal happened, for the server log and the journal only (JourneystackError.reason).
    reason: str | None = None


def empty_response() -> ApiResponse:
    """A 200 with no body (Content-Length 0), as SFMC documents stop and event-definition DELETE."""
    return ApiResponse(status=200, body=b"")


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> ApiResponse:
    return ApiResponse(status=status, body=orjson.dumps(payload), headers=headers or {})


def normalise_query(query_string: bytes) -> dict[str, str]:
    """Query parameters by case-insensitive name, `$` prefix optional; repeats are joined by commas.

    SFMC's own UI and clients spell `$pageSize`, `$pagesize`, `versionNumber`, `VersionNumber`...
    """
    result: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        normal = name.lower().lstrip("$")
        result[normal] = (
            f"{result[normal]},{value}" if normal in result and value else value or result.get(normal, "")
        )
    return result


_WHOLE = re.compile(r"[+-]?[0-9]{1,20}")


def query_int(
    query: dict[str, str], name: str, *, minimum: int = 1, maximum: int = MAX_INTEGER
) -> int | None:
    """An integer query parameter (ASCII digits), None when absent or empty. Every number is
    range-checked here, at the edge: by default it must fit the stores' 32-bit INTEGER columns
    (versions, pages), so SQLite and PostgreSQL answer alike. Raises InvalidRequest."""
    raw = query.get(name.lower().lstrip("$"))
    if raw is None or raw == "":
        return None
    value = int(raw) if _WHOLE.fullmatch(raw) else None
    if value is None or value < minimum or value > maximum:
        message = f"{name} must be a whole number between {minimum} and {maximum}."
        raise InvalidRequest([Problem(message, 10005, name)])
    return value


def query_bool(query: dict[str, str], name: str, default: bool) -> bool:
    raw = query.get(name.lower().lstrip("$"))
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InvalidRequest([Problem(f"{name} must be true or false.", 10005, name)])


def parse_json(body: bytes, *, max_depth: int) -> Any:
    """The request body as a JSON value. Raises InvalidRequest for bad JSON, too deep a nesting or NUL."""
    try:
        value = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        raise InvalidRequest([Problem("The request body is not valid JSON.", 10004, "")]) from None
    if isinstance(value, dict | list) and _too_deep(body, value, max_depth):
        raise InvalidRequest(
            [Problem(f"The request body is nested deeper than {max_depth} levels.", 10003, "")]
        )
    if b"\\u0000" in body and _holds_nul(value):
        raise InvalidRequest([Problem(f"The request body {NUL_MESSAGE}", 10005, "")])
    return value


def parse_json_object(body: bytes, *, max_depth: int) -> dict[str, Any]:
    """The request body as a JSON object. Raises InvalidRequest for anything else."""
    value = parse_json(body, max_depth=max_depth)
    if not isinstance(value, dict):
        raise InvalidRequest([Problem("The request body must be a JSON object.", 10001, "")])
    return value


# PostgreSQL text cannot hold U+0000, so no store accepts it, whatever the backend: the same
# request gets the same answer on SQLite and on PostgreSQL (docs/scale-out.md).
NUL_MESSAGE = "must not contain the NUL character (U+0000)."


def reject_other_media_types(request: ApiRequest) -> None:
    """Raises UnsupportedMediaType when a body comes with a Content-Type that is not JSON
    (`application/json` or `*/*+json`, any parameters). A body without one is read as JSON, as
    before: clients that omit the header have always been answered."""
    if not request.body:
        return
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if (
        media
        and media != "application/json"
        and not (media.startswith("application/") and media.endswith("+json"))
    ):
        raise UnsupportedMediaType()


def reject_nul(request: ApiRequest, *, reads_query: bool = True) -> None:
    """Raises InvalidRequest when a path parameter or query parameter holds U+0000. A route that
    reads no query parameter ignores the query string, NULs included (/v2/token, health, ...)."""
    checked = [("path", request.params)] + ([("query", request.query)] if reads_query else [])
    for where, values in checked:
        for name, value in values.items():
            if "\x00" in name or "\x00" in value:
                raise InvalidRequest([Problem(f"The {where} parameter {name!r} {NUL_MESSAGE}", 10005, name)])


def _holds_nul(value: Any) -> bool:
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _too_deep(body: bytes, value: Any, limit: int) -> bool:
    """Whether the decoded document nests containers deeper than `limit`. A body with no more
    opening brackets than that cannot (counting those inside strings only overestimates); any
    other is walked, containers only."""
    if body.count(b"{") + body.count(b"[") <= limit:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False
