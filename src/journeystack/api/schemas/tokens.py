"""The OAuth token request and response as SFMC's /v2/token speaks them."""

from __future__ import annotations

import re
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


# A tenant's auth host, as SFMC names it (28 characters of [0-9a-z-]).
_AUTH_HOST = re.compile(r"(?P<tenant>[0-9a-z-]{28})\.auth\.marketingcloudapis\.com(?P<port>:[0-9]{1,5})?")


def instance_urls(base_url: str) -> tuple[str, str]:
    """rest_instance_url and soap_instance_url for a client that reached us at `base_url`.

    Both end with `/` (sfmc-sdk joins paths onto them). A client that came through
    `<tenant>.auth.marketingcloudapis.com` (hosts file + TLS, docs: "Use with mcdev") is sent on to
    `<tenant>.rest...` and `<tenant>.soap...`, the hosts SFMC answers with.
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    match = _AUTH_HOST.fullmatch(host.lower())
    if match is None:
        return base, base
    tenant, port = match["tenant"], match["port"] or ""
    return (
        f"{scheme}://{tenant}.rest.marketingcloudapis.com{port}/",
        f"{scheme}://{tenant}.soap.marketingcloudapis.com{port}/",
    )


def render_token(issued: IssuedToken, base_url: str) -> dict[str, Any]:
    rest_url, soap_url = instance_urls(base_url)
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.grant.scope_string(),
        "rest_instance_url": rest_url,
        "soap_instance_url": soap_url,
    }
