"""POST /v2/token: client-credentials tokens for installed packages."""

from __future__ import annotations

import orjson

from journeystack.errors import InvalidTokenRequest

from ..http import ApiRequest, ApiResponse, json_response
from ..routing import Route
from ..schemas.tokens import TokenRequestBody, TokenResponseBody, parse_token_request, render_token
from ..state import AppState


def routes(state: AppState) -> list[Route]:
    def issue_token(request: ApiRequest) -> ApiResponse:
        try:
            raw = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            raise InvalidTokenRequest() from None
        if not isinstance(raw, dict):
            raise InvalidTokenRequest()
        issued = state.tokens.issue(parse_token_request(raw))
        return json_response(render_token(issued, state.settings.public_url or request.base_url))

    return [
        Route(
            "POST",
            "/v2/token",
            issue_token,
            "getToken",
            "Issue an access token (OAuth 2 client credentials); any query string is ignored.",
            authenticated=False,
            scopes=(),
            request_schema=TokenRequestBody,
            response_schema=TokenResponseBody,
            responses={
                400: "unsupported_grant_type / invalid_request",
                401: "invalid_client / unauthorized_client",
            },
            tag="auth",
        )
    ]
