"""Token use cases: issue an access token for an installed package, and verify bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from journeystack.domain.auth import Grant, InstalledPackage, grant_for
from journeystack.errors import NotAuthenticated

from .context import ServiceContext

# SFMC answers expires_in ~2 minutes short of the real lifetime so clients refresh early.
EARLY_REFRESH_SECONDS = 121


@dataclass(frozen=True, slots=True)
class TokenRequest:
    grant_type: object
    client_id: object
    client_secret: object
    account_id: object = None
    scope: object = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    grant: Grant
    expires_in: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenService:
    """Issues tokens to installed packages and verifies them, with a small cache of good tokens."""

    def __init__(
        self,
        ctx: ServiceContext,
        packages: Iterable[InstalledPackage],
        *,
        lifetime_seconds: int,
        cache_size: int = 4096,
    ) -> None:
        self._ctx = ctx
        self._packages = {p.client_id: p for p in packages}
        self._lifetime_ms = lifetime_seconds * 1000
        self._expires_in = max(1, lifetime_seconds - EARLY_REFRESH_SECONDS)
        self._cache: OrderedDict[str, Grant] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def packages(self) -> list[InstalledPackage]:
        return list(self._packages.values())

    def issue(self, request: TokenRequest) -> IssuedToken:
        """Raises UnsupportedGrantType, InvalidClient, UnauthorizedClient."""
        package = self._packages.get(request.client_id) if isinstance(request.client_id, str) else None
        now = self._ctx.clock.now_ms()
        grant = grant_for(
            package,
            grant_type=request.grant_type,
            client_secret=request.client_secret,
            account_id=request.account_id,
            scope=request.scope,
            now_ms=now,
            lifetime_ms=self._lifetime_ms,
        )
        token = secrets.token_urlsafe(48)
        with self._ctx.uow(write=True) as uow:
            uow.tokens.purge_expired(now)
            uow.tokens.add(_hash(token), grant)
            uow.commit()
        return IssuedToken(access_token=token, grant=grant, expires_in=self._expires_in)

    def verify(self, token: str | None) -> Grant:
        """The grant behind a bearer token. Raises NotAuthenticated (missing, unknown, expired),
        its reason saying which."""
        if not token:
            raise NotAuthenticated(reason="no access token")
        digest = _hash(token)
        with self._lock:
            grant = self._cache.get(digest)
        if grant is None:
            with self._ctx.uow() as uow:
                grant = uow.tokens.get(digest)
            if grant is None:
                raise NotAuthenticated(reason="unknown access token: not issued by this server's store")
            with self._lock:
                self._cache[digest] = grant
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if grant.expires_at_ms <= self._ctx.clock.now_ms():
            expired = datetime.fromtimestamp(grant.expires_at_ms / 1000, tz=UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            raise NotAuthenticated(reason=f"access token expired at {expired}")
        return grant

    def forget_cached(self) -> None:
        with self._lock:
            self._cache.clear()
