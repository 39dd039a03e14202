"""Which URLs the engine may call: custom activities' execute and lifecycle URLs.

By default only loopback: `localhost` and the addresses 127.0.0.0/8 and ::1. More hosts are allowed
by JOURNEYSTACK_OUTBOUND_ALLOW, a comma-separated list of host names (`crm.example.com`), wildcard
suffixes (`*.example.com`, which does not match `example.com` itself) and IP addresses. A tester's
journey copied from production must not call production services by accident.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})
MAX_URL_CHARS: Final = 2048


@dataclass(frozen=True, slots=True)
class Target:
    """A URL taken apart: what the HTTP client needs to connect and send."""

    url: str
    scheme: str  # http | https
    host: str  # lower-cased, without brackets
    port: int
    path: str  # path and query, at least "/"


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One POST the engine makes: where, what (the body as sent: JSON or a JWT), and how patiently.
    `shown` is what the request journal shows as its body (the envelope, before signing)."""

    target: Target
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    timeout_ms: int = 60_000
    retry_count: int = 0
    retry_delay_ms: int = 0
    mid: int | None = None
    shown: Any = None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """The hosts the engine may call besides loopback."""

    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()  # ".example.com" for "*.example.com"

    @classmethod
    def parse(cls, allow: str | None) -> OutboundPolicy:
        names: set[str] = set()
        suffixes: list[str] = []
        for raw in (allow or "").split(","):
            entry = raw.strip().lower().strip("[]")
            if not entry:
                continue
            if entry.startswith("*."):
                suffixes.append(entry[1:])
            else:
                names.add(entry)
        return cls(frozenset(names), tuple(suffixes))

    def describe(self) -> str:
        listed = sorted(self.names) + [f"*{suffix}" for suffix in self.suffixes]
        return f"which lists {', '.join(listed)}" if listed else "which is empty"

    def allows(self, host: str) -> bool:
        host = host.lower()
        if is_loopback(host) or host in self.names:
            return True
        return any(host.endswith(suffix) for suffix in self.suffixes)

    def check(self, url: object) -> Target | str:
        """The URL's target when the engine may call it, else why not (one sentence)."""
        if not isinstance(url, str) or not url.strip():
            return "the URL is missing"
        text = url.strip()
        if len(text) > MAX_URL_CHARS:
            return f"the URL is longer than {MAX_URL_CHARS} characters"
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as error:
            return f"{text[:200]!r} is not a URL ({error})"
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            return f"{text[:200]!r} is not an http or https URL"
        host = (parts.hostname or "").lower()
        if not host:
            return f"{text[:200]!r} names no host"
        if parts.username is not None or parts.password is not None:
            return f"{text[:200]!r} carries credentials; journeystack does not send them"
        if not self.allows(host):
            return (
                f"the host {host!r} is not one journeystack may call: only loopback (localhost, 127.0.0.0/8, ::1) "
                f"and the hosts of JOURNEYSTACK_OUTBOUND_ALLOW, {self.describe()}"
            )
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        return Target(text, scheme, host, port or (443 if scheme == "https" else 80), path)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
