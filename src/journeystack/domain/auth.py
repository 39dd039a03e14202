"""Installed packages, scopes and the rules for granting and checking access tokens."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from journeystack.errors import InvalidClient, UnauthorizedClient, UnsupportedGrantType

JOURNEY_SCOPES = (
    "journeys_read",
    "journeys_write",
    "journeys_execute",
    "journeys_aspr",
    "journeys_delete",
)
# What the default package may ask for: every journey scope plus the ones Journey Builder routes
# (events, folders) also look at.
ALL_SCOPES = (
    *JOURNEY_SCOPES,
    "list_and_subscribers_read",
    "list_and_subscribers_write",
    "data_extensions_read",
    "data_extensions_write",
    "email_read",
    "email_write",
    "email_send",
    "saved_content_read",
    "saved_content_write",
)


def package_user_id(client_id: str) -> int:
    """The numeric user id of an installed package's API user: what SFMC writes where it names a
    user (event definitions' `createdBy`/`modifiedBy`, audit entries' `user.userId`, SOAP
    AccountUser `ID`), always an integer there. Derived from the client id, so it is the same in
    every process and after every restart, and distinct packages practically never share one."""
    return 10_000_000 + zlib.crc32(client_id.encode("utf-8")) % 90_000_000


@dataclass(frozen=True, slots=True)
class InstalledPackage:
    """An API integration that may request tokens for the business units (MIDs) it lists."""

    client_id: str
    client_secret: str
    mids: tuple[int, ...]
    scopes: frozenset[str]
    # Signs custom-activity calls (HS256) for journeys of its business units; None: the server's
    # default secret (JOURNEYSTACK_JWT_SIGNING_SECRET, or one `serve` generates and prints).
    jwt_signing_secret: str | None = None

    @property
    def user_id(self) -> int:
        return package_user_id(self.client_id)


@dataclass(frozen=True, slots=True)
class Grant:
    """What an access token stands for: a package acting for one business unit with some scopes."""

    client_id: str
    mid: int
    scopes: frozenset[str]
    expires_at_ms: int

    def scope_string(self) -> str:
        return " ".join(sorted(self.scopes))


# A MID is a positive 64-bit integer (the stores' BIGINT): anything longer is no business unit.
_MID_DIGITS = re.compile(r"[0-9]{1,19}")
MAX_MID = 2**63 - 1


def parse_account_id(raw: object) -> int | None:
    """`account_id` arrives as a number or a numeric string of ASCII digits; None when absent.
    Anything else present (true, "abc", "²", a 5,000-digit string) is -1: never a MID, so the
    grant is refused."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return -1
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_MID else -1
    if isinstance(raw, str) and _MID_DIGITS.fullmatch(raw.strip()):
        value = int(raw.strip())
        return value if 0 < value <= MAX_MID else -1
    return -1


def grant_for(
    package: InstalledPackage | None,
    *,
    grant_type: object,
    client_secret: object,
    account_id: object,
    scope: object,
    now_ms: int,
    lifetime_ms: int,
) -> Grant:
    """Decide what a token request gets.

    Raises UnsupportedGrantType, InvalidClient (unknown client or wrong secret), UnauthorizedClient
    (account_id names a business unit the package may not act for).
    """
    if grant_type != "client_credentials":
        raise UnsupportedGrantType()
    if package is None:
        raise InvalidClient(reason="unknown client_id")
    if not isinstance(client_secret, str) or not _constant_time_equal(package.client_secret, client_secret):
        raise InvalidClient(reason=f"wrong client_secret for client_id {package.client_id!r}")
    mid = parse_account_id(account_id)
    if mid is None:
        mid = package.mids[0]
    if mid not in package.mids:
        raise UnauthorizedClient(
            reason=f"client_id {package.client_id!r} may not act for business unit {mid}"
        )
    scopes = package.scopes
    # SFMC: omitted scope -> every scope of the package; a list -> only those the package has.
    if isinstance(scope, str):
        scopes = frozenset(s for s in scope.split() if s in package.scopes)
    return Grant(client_id=package.client_id, mid=mid, scopes=scopes, expires_at_ms=now_ms + lifetime_ms)


def _constant_time_equal(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
