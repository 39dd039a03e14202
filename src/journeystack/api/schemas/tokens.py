"""The OAuth token request and response as SFMC's /v2/token speaks them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from journeystack.services.tokens import IssuedToken, TokenRequest


class TokenRequestBody(BaseModel):
    grant_type: str = Field(description="Always client_credentials.")
    client_id: str
    client_secret: str
    account_id: int | str | None = Field(default=None, description="MID of the business unit to act for.")
    scope: str | None = Field(
        default=None, description="Space-separated scopes; omitted means all of the package's."
    )


class TokenResponseBody(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str
    rest_instance_url: str
    soap_instance_url: str


def parse_token_request(raw: dict[str, Any]) -> TokenRequest:
    return TokenRequest(
        grant_type=raw.get("grant_type"),
        client_id=raw.get("client_id"),
        client_secret=raw.get("client_secret"),
        account_id=raw.get("account_id"),
        scope=raw.get("scope"),
    )


def render_token(issued: IssuedToken, base_url: str) -> dict[str, Any]:
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.grant.scope_string(),
        "rest_instance_url": base_url,
        "soap_instance_url": base_url,
    }
