"""POST /v2/token: client-credentials tokens for installed packages."""

from __future__ import annotations

import orjson

from journeystack.errors import InvalidTokenRequest

from ..errors import TOKEN_CLIENT_ERROR_SCHEMA, TOKEN_REQUEST_ERROR_SCHEMA
from ..http import ApiRequest, ApiResponse, json_response
from ..routing import Answer, Route
from ..schemas.tokens import TOKEN_REQUEST_SCHEMA, TOKEN_RESPONSE_SCHEMA, parse_token_request, render_token
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
            request_schema=TOKEN_REQUEST_SCHEMA,
            response_schema=TOKEN_RESPONSE_SCHEMA,
            responses={
                400: Answer(
                    "OAuth 2 error: invalid_request (the body is not a JSON object) or "
                    "unsupported_grant_type.",
                    TOKEN_REQUEST_ERROR_SCHEMA,
                ),
                401: Answer(
                    "OAuth 2 error: invalid_client (unknown client or wrong secret) or "
                    "unauthorized_client (a business unit the package may not act for).",
                    TOKEN_CLIENT_ERROR_SCHEMA,
                ),
            },
            tag="auth",
        )
    ]
