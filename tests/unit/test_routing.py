"""The route table's matching rules (the API tests cover the real table)."""

from __future__ import annotations

import pytest

from journeystack.api.http import ApiRequest, ApiResponse
from journeystack.api.routing import Route, Router
from journeystack.errors import MethodNotAllowed, RouteNotFound


def _answer(_request: ApiRequest) -> ApiResponse:
    return ApiResponse(status=200)


def _route(method: str, template: str) -> Route:
    return Route(method, template, _answer, f"{method}{template}", "test")


ROUTER = Router(
    [
        _route("GET", "/interaction/v1/interactions/key:{key}"),
        _route("GET", "/interaction/v1/interactions/{id}"),
        _route("PUT", "/interaction/v1/interactions/{id}"),
        _route("GET", "/interaction/v1/interactions"),
        _route("GET", "/v2/token"),
    ]
)


def test_literal_segments_match_case_insensitively_and_percent_decoded() -> None:
    route, params = ROUTER.match("GET", "/%49nteraction/V1/Interactions/key:a%2Fb")
    assert route.template.endswith("key:{key}") and params == {"key": "a/b"}


def test_a_key_path_never_falls_through_to_the_id_route() -> None:
    with pytest.raises(MethodNotAllowed):
        ROUTER.match("PUT", "/interaction/v1/interactions/key:k")


def test_the_other_methods_of_a_path_are_named() -> None:
    with pytest.raises(MethodNotAllowed) as raised:
        ROUTER.match("DELETE", "/interaction/v1/interactions/5")
    assert raised.value.allowed == ["GET", "PUT"]


@pytest.mark.parametrize("path", ["/", "/interaction", "/nowhere/v1/interactions", "/v2/token/extra"])
def test_anything_else_is_not_found(path: str) -> None:
    with pytest.raises(RouteNotFound):
        ROUTER.match("GET", path)


def test_a_route_must_start_with_a_literal_segment() -> None:
    with pytest.raises(ValueError, match="first segment must be literal"):
        Router([_route("GET", "/{anything}/v1")])
