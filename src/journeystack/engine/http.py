"""A small HTTP/1.1 client on asyncio for the engine's outbound calls: POST only, kept-alive
connections per host, a total time limit per attempt, no redirects followed (SFMC ejects a contact
on any 3xx, engine.md §2.8), answers read up to a size limit.

Its own, rather than a library's: the engine's calls are one shape (a POST of a small body, a JSON
answer), and this way a call costs tens of microseconds of the engine's time, not hundreds.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from journeystack import __version__
from journeystack.domain.outbound import OutboundRequest, Target
from journeystack.domain.runtime.calls import (
    MAX_ANSWER_BYTES,
    Attempt,
    CallAnswer,
    excerpt,
    parse_answer_body,
)

USER_AGENT: Final = f"journeystack/{__version__}"
# An idle kept-alive connection older than this is closed rather than reused (servers such as
# uvicorn close theirs after 5 s).
IDLE_SECONDS: Final = 4.0


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 this client can read."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One attempt as the request journal records it."""

    request: OutboundRequest
    attempt: Attempt
    response_headers: dict[str, str]
    response_body: bytes
    started_wall_ms: int


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:  # already closed by the peer
            pass


class HttpClient:
    """Used from one event loop only."""

    def __init__(self, *, on_exchange: Callable[[Exchange], None] | None = None) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None
        self.on_exchange = on_exchange

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def call(self, request: OutboundRequest) -> CallAnswer:
        """POST the request, retrying a network error, a time-out or a 5xx up to its retry count
        after its retry delay; the answer of the last attempt decides."""
        attempts: list[Attempt] = []
        status_body = b""
        headers: dict[str, str] = {}
        for number in range(request.retry_count + 1):
            if number:
                await asyncio.sleep(request.retry_delay_ms / 1000)
            started = time.perf_counter()
            wall = time.time_ns() // 1_000_000
            headers, status_body = {}, b""
            try:
                status, headers, status_body = await asyncio.wait_for(
                    self._exchange(request), request.timeout_ms / 1000
                )
                attempt = Attempt(status, None, _elapsed(started))
            except TimeoutError:
                attempt = Attempt(None, f"timed out after {request.timeout_ms} ms", _elapsed(started))
            except (OSError, EOFError, ProtocolError, asyncio.IncompleteReadError, ssl.SSLError) as error:
                attempt = Attempt(None, f"network error: {_reason(error)}", _elapsed(started))
            attempts.append(attempt)
            if self.on_exchange is not None:
                self.on_exchange(Exchange(request, attempt, headers, status_body, wall))
            if not attempt.retryable:
                break
        last = attempts[-1]
        ok = last.status is not None and 200 <= last.status < 300
        return CallAnswer(
            attempts=tuple(attempts),
            body=parse_answer_body(status_body) if ok else None,
            excerpt=excerpt(status_body) if status_body else "",
        )

    async def _exchange(self, request: OutboundRequest) -> tuple[int, dict[str, str], bytes]:
        target = request.target
        key = (target.scheme, target.host, target.port)
        connection, reused = self._take(key), True
        if connection is None:
            connection, reused = await self._open(target), False
        try:
            try:
                result, keep = await self._send(connection, request)
            except (ConnectionError, asyncio.IncompleteReadError, EOFError):
                if not reused:
                    raise
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                connection.close()
                connection = await self._open(target)
                result, keep = await self._send(connection, request)
        except BaseException:
            connection.close()
            raise
        if keep:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(key, []).append(connection)
        else:
            connection.close()
        return result

    def _take(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if now - connection.idle_since < IDLE_SECONDS and not connection.reader.at_eof():
                return connection
            connection.close()
        return None

    async def _open(self, target: Target) -> _Connection:
        context: ssl.SSLContext | None = None
        if target.scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            context = self._tls
        reader, writer = await asyncio.open_connection(
            target.host, target.port, ssl=context, server_hostname=target.host if context else None,
            limit=256 * 1024,
        )  # fmt: skip
        return _Connection(reader, writer)

    async def _send(
        self, connection: _Connection, request: OutboundRequest
    ) -> tuple[tuple[int, dict[str, str], bytes], bool]:
        target = request.target
        default_port = 443 if target.scheme == "https" else 80
        host = f"[{target.host}]" if ":" in target.host else target.host
        if target.port != default_port:
            host = f"{host}:{target.port}"
        lines = [
            f"POST {target.path} HTTP/1.1",
            f"Host: {host}",
            f"User-Agent: {USER_AGENT}",
            "Accept: application/json",
            f"Content-Type: {request.content_type}",
            f"Content-Length: {len(request.body)}",
            *(f"{name}: {value}" for name, value in request.headers),
        ]
        connection.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body)
        await connection.writer.drain()
        reader = connection.reader
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            status, version, headers = _parse_head(head)
            if not 100 <= status < 200:
                break
        keep = version == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
        if status in (204, 304):
            return (status, headers, b""), keep
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return (status, headers, await _chunked(reader)), keep
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise ProtocolError(f"bad Content-Length {length[:40]!r}")
            size = int(length)
            if size > MAX_ANSWER_BYTES:
                raise ProtocolError(f"an answer of {size} bytes, more than {MAX_ANSWER_BYTES}")
            return (status, headers, await reader.readexactly(size)), keep
        body = await reader.read(MAX_ANSWER_BYTES + 1)
        while body and len(body) <= MAX_ANSWER_BYTES:
            more = await reader.read(MAX_ANSWER_BYTES + 1 - len(body))
            if not more:
                break
            body += more
        if len(body) > MAX_ANSWER_BYTES:
            raise ProtocolError(f"an answer of more than {MAX_ANSWER_BYTES} bytes")
        return (status, headers, body), False


def _elapsed(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _reason(error: BaseException) -> str:
    if isinstance(error, asyncio.IncompleteReadError):
        return "the server closed the connection before answering in full"
    text = str(error) or type(error).__name__
    return text[:200]


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return int(parts[1]), parts[0], headers


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size {size_line[:40]!r}") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return bytes(body)
        if len(body) + size > MAX_ANSWER_BYTES:
            raise ProtocolError(f"an answer of more than {MAX_ANSWER_BYTES} bytes")
        body += await reader.readexactly(size)
        await reader.readexactly(2)
