"""HS256 JSON Web Tokens, as Journey Builder signs custom-activity calls with the installed package's
JWT signing secret (engine.md §2.8): the standard library's HMAC-SHA256 over base64url pieces."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Final

import orjson

_HEADER: Final = base64.urlsafe_b64encode(orjson.dumps({"alg": "HS256", "typ": "JWT"})).rstrip(b"=")


class InvalidToken(ValueError):
    """A token that is not an HS256 JWT signed with the given secret."""


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def encode_hs256(claims: Mapping[str, Any], secret: str) -> str:
    """The compact JWT of `claims` (a JSON object), signed HS256 with `secret`."""
    signing_input = _HEADER + b"." + _b64(orjson.dumps(claims))
    signature = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64(signature)).decode("ascii")


def decode_hs256(token: str, secret: str) -> dict[str, Any]:
    """The claims of a JWT signed HS256 with `secret`. Raises InvalidToken."""
    parts = token.strip().encode("ascii", "replace").split(b".")
    if len(parts) != 3:
        raise InvalidToken("not a compact JWT (three dot-separated parts)")
    try:
        header = orjson.loads(_unb64(parts[0]))
        expected = hmac.new(secret.encode("utf-8"), parts[0] + b"." + parts[1], hashlib.sha256).digest()
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            raise InvalidToken("the token is not signed HS256")
        if not hmac.compare_digest(expected, _unb64(parts[2])):
            raise InvalidToken("the signature does not match the secret")
        claims = orjson.loads(_unb64(parts[1]))
    except (ValueError, orjson.JSONDecodeError) as error:
        if isinstance(error, InvalidToken):
            raise
        raise InvalidToken(f"the token does not decode: {error}") from None
    if not isinstance(claims, dict):
        raise InvalidToken("the claims are not a JSON object")
    return claims
