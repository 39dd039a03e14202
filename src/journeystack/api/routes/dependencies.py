"""REST calls SFMC tools make around journeys that journeystack has nothing behind: delivery
profiles, MobileConnect messages, codes and keywords, and Content Builder assets.

mcdev caches them as dependencies of journeys on every retrieve and deploy and logs an error for
any failure, so they answer valid, empty collections (with a valid token: SFMC answers nothing
without one).
"""

from __future__ import annotations

from typing import Any

import orjson

from journeystack.domain.queries import MAX_INTEGER

from ..http import ApiRequest, ApiResponse, json_response
from ..routing import Route
from ..schemas.common import TEXT, closed, page_of
from ..state import AppState

LEGACY = "/legacy/v1/beta"
_LEGACY_PAGE = {
    "title": "LegacyCollection",
    **closed(
        {
            "startIndex": {"type": "integer", "minimum": 0},
            "itemsPerPage": {"type": "integer", "minimum": 1},
            "totalResults": {"const": 0},
            "entry": {"type": "array", "maxItems": 0},
        }
    ),
}
_ASSET_PAGE = {"title": "AssetPage", **page_of({"not": {}})}
# The asset query's body: only its paging is read, and anything unusable is the default.
_ASSET_QUERY = {
    "title": "AssetQuery",
    "type": "object",
    "properties": {
        "page": {
            "type": "object",
            "properties": {
                "page": {"type": "integer", "minimum": 1},
                "pageSize": {"type": "integer", "minimum": 1},
            },
        },
        "query": {"type": "object"},
    },
}


def _whole(raw: Any, default: int, minimum: int) -> int:
    """A paging number echoed back; anything unusable (not a whole number, or past what the
    stores count to) is the default, so the echo is always a number clients can read."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return default
    value = int(text)
    return value if minimum <= value <= MAX_INTEGER else default


def routes(_state: AppState) -> list[Route]:
    def legacy_collection(request: ApiRequest) -> ApiResponse:
        return json_response(
            {
                "startIndex": _whole(request.query.get("skip"), 0, 0),
                "itemsPerPage": _whole(request.query.get("top"), 50, 1),
                "totalResults": 0,
                "entry": [],
            }
        )

    def asset_query(request: ApiRequest) -> ApiResponse:
        try:
            body = orjson.loads(request.body) if request.body else {}
        except orjson.JSONDecodeError:
            body = {}
        paging = body.get("page") if isinstance(body, dict) else None
        paging = paging if isinstance(paging, dict) else {}
        return json_response(
            {
                "count": 0,
                "page": _whole(paging.get("page"), 1, 1),
                "pageSize": _whole(paging.get("pageSize"), 50, 1),
                "links": {},
                "items": [],
            }
        )

    legacy = [
        ("messaging/deliverypolicy", "getDeliveryProfiles", "Delivery profiles (always none)."),
        ("mobile/message", "getMobileMessages", "MobileConnect messages (always none)."),
        ("mobile/code", "getMobileCodes", "MobileConnect codes (always none)."),
        ("mobile/keyword", "getMobileKeywords", "MobileConnect keywords (always none)."),
    ]
    found = [
        Route("GET", f"{LEGACY}/{path}", legacy_collection, operation_id, summary, scopes=(),
              query={"$top": TEXT, "$skip": TEXT}, response_schema=_LEGACY_PAGE, tag="dependencies")
        for path, operation_id, summary in legacy
    ]  # fmt: skip
    found.append(
        Route("POST", "/asset/v1/content/assets/query", asset_query, "queryAssets",
              "Content Builder asset query (always no assets).", scopes=(), request_schema=_ASSET_QUERY,
              body_optional=True, response_schema=_ASSET_PAGE, tag="dependencies")
    )  # fmt: skip
    return found
