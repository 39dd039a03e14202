"""The OAuth token request and response as SFMC's /v2/token speaks them."""

from __future__ import annotations

import re
from typing import Any

from journeystack.domain.auth import MAX_MID
from journeystack.services.tokens import IssuedToken, TokenRequest

from .common import closed

# What /v2/token accepts (domain/auth.py `grant_for`, `parse_account_id`); other members are ignored.
TOKEN_REQUEST_SCHEMA: dict[str, Any] = {
    "title": "TokenRequest",
    "type": "object",
    # The built-in default package, as the README uses it.
    "examples": [
        {
            "grant_type": "client_credentials",
            "client_id": "journeystack",
            "client_secret": "journeystack",
            "account_id": 1000001,
        }
    ],
    "required": ["grant_type", "client_id", "client_secret"],
    "properties": {
        "grant_type": {"const": "client_credentials", "description": "Always client_credentials."},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
        "account_id": {
            "description": "MID of the business unit to act for (default: the package's first).",
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_MID},
                {"type": "string", "pattern": "^[0-9]{1,19}$"},
                {"type": "null"},
            ],
        },
        "scope": {
            "type": ["string", "null"],
            "description": "Space-separated scopes; omitted means all of the package's, unknown ones are dropped.",
        },
    },
}
TOKEN_RESPONSE_SCHEMA: dict[str, Any] = {
    "title": "Token",
    **closed(
        {
            "access_token": {"type": "string", "minLength": 1},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer", "minimum": 1},
            "scope": {"type": "string"},
            "rest_instance_url": {"type": "string", "pattern": "^https?://.+/$"},
            "soap_instance_url": {"type": "string", "pattern": "^https?://.+/$"},
        }
    ),
}


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
