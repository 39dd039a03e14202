"""JSON Schema pieces the wire schemas share: SFMC's dates, ids, list pages and query parameters.

Each describes what the edge really accepts or answers (`http.query_int`, `dates.format_ms`, the
render functions), so the OpenAPI document and the server cannot drift apart unnoticed: the
schemathesis run checks every answer against them.
"""

from __future__ import annotations

from typing import Any

from journeystack.domain.queries import MAX_BIG_INTEGER, MAX_INTEGER, MAX_PAGE_SIZE

# `dates.format_ms`: ISO 8601 without an offset, 0-3 fraction digits (SFMC's "never" is year 1).
SFMC_DATE: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?$",
}
# `schemas.runtime.iso_ms`: UTC with `Z` (journey history, the engine's clock, the outbox).
UTC_INSTANT: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$",
}
GUID: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
}
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


def closed(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with exactly these members, all present except `optional` ones."""
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    """SFMC's list page, `{count, page, pageSize, links, items}`."""
    return closed(
        {
            "count": COUNT,
            "page": {"type": "integer", "minimum": 1},
            "pageSize": {"type": "integer", "minimum": 1},
            "links": {"type": "object"},
            "items": {"type": "array", "items": item},
        }
    )


# Query parameters, as `http.query_int` and `http.query_bool` read them.
def whole(maximum: int = MAX_INTEGER, minimum: int = 1) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


VERSION_NUMBER = whole()
PAGE = whole()
PAGE_SIZE = whole(MAX_PAGE_SIZE)
MID = whole(MAX_BIG_INTEGER)
FLAG: dict[str, Any] = {"type": "boolean"}
TEXT: dict[str, Any] = {"type": "string"}
EXTRAS: dict[str, Any] = {
    "type": "string",
    "description": "Comma-separated: all, activities, outcomes, stats (any case; unknown words are ignored).",
}
