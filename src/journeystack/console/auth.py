"""Who may see the console: one-time login tickets, signed session cookies and CSRF tokens.

Everything is derived from the admin token with HMAC, so every process of one server (`serve
--workers N`, which share the admin token) accepts the same sessions, and changing the admin token
ends them all. Nothing here touches the network or the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Final

COOKIE: Final = "journeystack_console"
SESSION_SECONDS: Final = 12 * 3600
# A login URL printed by `serve` is good for one use, within this long.
TICKET_SECONDS: Final = 24 * 3600
_USED_TICKETS_KEPT: Final = 10_000


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _key(admin_token: str, purpose: str) -> bytes:
    return hmac.new(
        admin_token.encode("utf-8"), f"journeystack-console/{purpose}".encode(), hashlib.sha256
    ).digest()


def _mac(key: bytes, text: str) -> str:
    return _b64(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest())


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: its id (what its CSRF token is bound to) and when it ends."""

    id: str
    expires_s: int


class ConsoleAuth:
    """Tickets, sessions and CSRF tokens of one admin token. Thread-safe."""

    def __init__(self, admin_token: str) -> None:
        self._session_key = _key(admin_token, "session")
        self._ticket_key = _key(admin_token, "ticket")
        self._csrf_key = _key(admin_token, "csrf")
        self._admin_token = admin_token.encode("utf-8")
        self._used: dict[str, int] = {}
        self._ended: dict[str, int] = {}
        self._lock = threading.Lock()

    # --- the admin token, typed into the login page ---------------------------------------------------

    def is_admin_token(self, candidate: str) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode("utf-8"), self._admin_token)

    # --- one-time login tickets -------------------------------------------------------------------------

    def ticket(self, now_s: int) -> str:
        """A fresh login ticket: `<issued>.<nonce>.<mac>`."""
        body = f"{now_s}.{secrets.token_urlsafe(16)}"
        return f"{body}.{_mac(self._ticket_key, body)}"

    def redeem(self, ticket: str, now_s: int) -> bool:
        """Whether `ticket` is genuine, recent and not used before in this process; marks it used.

        One use per process: with `serve --workers N` each process keeps its own record (the
        processes share no memory and the console adds no table), so a copied URL could be
        opened once in each (docs/console.md)."""
        issued, _, rest = ticket.partition(".")
        nonce, _, mac = rest.partition(".")
        if not (issued.isdigit() and nonce and mac):
            return False
        if not hmac.compare_digest(mac, _mac(self._ticket_key, f"{issued}.{nonce}")):
            return False
        if not 0 <= now_s - int(issued) <= TICKET_SECONDS:
            return False
        with self._lock:
            if nonce in self._used:
                return False
            if len(self._used) >= _USED_TICKETS_KEPT:
                self._used = {n: t for n, t in self._used.items() if now_s - t <= TICKET_SECONDS}
            self._used[nonce] = int(issued)
        return True

    # --- sessions ---------------------------------------------------------------------------------------

    def new_session(self, now_s: int) -> str:
        """A session cookie value: `<id>.<expires>.<mac>`."""
        body = f"{secrets.token_urlsafe(18)}.{now_s + SESSION_SECONDS}"
        return f"{body}.{_mac(self._session_key, body)}"

    def session(self, cookie_value: str | None, now_s: int) -> Session | None:
        """The session a cookie value stands for, or None (missing, forged, expired or ended)."""
        if not cookie_value:
            return None
        session_id, _, rest = cookie_value.partition(".")
        expires, _, mac = rest.partition(".")
        if not (session_id and expires.isdigit() and mac):
            return None
        if not hmac.compare_digest(mac, _mac(self._session_key, f"{session_id}.{expires}")):
            return None
        if int(expires) < now_s:
            return None
        with self._lock:
            if session_id in self._ended:
                return None
        return Session(session_id, int(expires))

    def end(self, session: Session, now_s: int) -> None:
        """Sign a session out in this process (other processes forget it when its cookie expires)."""
        with self._lock:
            self._ended = {s: e for s, e in self._ended.items() if e >= now_s}
            self._ended[session.id] = session.expires_s

    # --- CSRF -------------------------------------------------------------------------------------------

    def csrf_token(self, session: Session) -> str:
        """The token every form of this session carries."""
        return _mac(self._csrf_key, session.id)

    def csrf_ok(self, session: Session, candidate: str) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate, self.csrf_token(session))


def cookie_value(cookie_header: str, name: str = COOKIE) -> str | None:
    """One cookie's value from a Cookie header (the first of that name: browsers send the cookie
    of the most specific path first)."""
    for part in cookie_header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value
    return None
