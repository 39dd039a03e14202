"""Outbound calls' pure parts: which hosts may be called, HS256 JWTs (checked against PyJWT), the
settings of a custom activity, branchResult, Einstein STO's default best hour, and the HTTP client
on answers a Starlette server would not give (chunked, no length, redirects, garbage)."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import pytest

from journeystack.domain.jwt import InvalidToken, decode_hs256, encode_hs256
from journeystack.domain.outbound import OutboundPolicy, OutboundRequest, Target
from journeystack.domain.runtime.calls import CallAnswer, branch_of, parse_call
from journeystack.domain.runtime.sto import HOUR_MS, StoRequest, hashed_best_hour, release_ms
from journeystack.engine.http import HttpClient

SECRET = "a-package-jwt-signing-secret-of-32-bytes-or-more"


@pytest.mark.parametrize(
    ("allow", "url", "allowed"),
    [
        ("", "http://127.0.0.1:8080/execute", True),
        ("", "https://localhost/x", True),
        ("", "http://[::1]:9/x", True),
        ("", "http://127.9.9.9/x", True),
        ("", "https://crm.example.com/x", False),
        ("crm.example.com", "https://CRM.example.com/x", True),
        ("*.example.com", "https://a.b.example.com/x", True),
        ("*.example.com", "https://example.com/x", False),
        ("10.0.0.5, api.test", "http://10.0.0.5/x", True),
        ("", "ftp://127.0.0.1/x", False),
        ("", "http://user:pw@127.0.0.1/x", False),
        ("", "not a url", False),
    ],
)
def test_only_loopback_and_allowed_hosts_may_be_called(allow: str, url: str, allowed: bool) -> None:
    checked = OutboundPolicy.parse(allow).check(url)
    assert isinstance(checked, Target) is allowed, checked


def test_a_refusal_names_the_host_and_the_setting() -> None:
    checked = OutboundPolicy.parse("a.test").check("https://crm.example.com/execute")
    assert checked == (
        "the host 'crm.example.com' is not one journeystack may call: only loopback (localhost, 127.0.0.0/8, "
        "::1) and the hosts of JOURNEYSTACK_OUTBOUND_ALLOW, which lists a.test"
    )
    target = OutboundPolicy().check("http://127.0.0.1:81/a/b?c=1")
    assert target == Target("http://127.0.0.1:81/a/b?c=1", "http", "127.0.0.1", 81, "/a/b?c=1")


def test_hs256_tokens_are_what_pyjwt_reads_and_writes() -> None:
    claims = {"inArguments": [{"x": "ü"}], "keyValue": "c1", "mode": 0}
    token = encode_hs256(claims, SECRET)
    assert jwt.decode(token, SECRET, algorithms=["HS256"]) == claims
    assert decode_hs256(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET) == claims
    with pytest.raises(InvalidToken):
        decode_hs256(token, SECRET + "-other")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET + "-other", algorithms=["HS256"])


def test_custom_activity_settings_default_and_stay_in_range() -> None:
    spec = parse_call({"arguments": {"execute": {"url": "http://127.0.0.1/x"}}}, decision=False)
    assert (spec.timeout_ms, spec.retry_count, spec.retry_delay_ms, spec.concurrency, spec.use_jwt) == (
        60_000, 0, 1_000, 1, False)  # fmt: skip
    wild = {"timeout": 5, "retryCount": 9, "retryDelay": -1, "concurrentRequests": "500", "useJwt": "true"}
    spec = parse_call({"arguments": {"execute": wild}}, decision=False)
    assert (spec.timeout_ms, spec.retry_count, spec.retry_delay_ms, spec.concurrency, spec.use_jwt) == (
        1_000, 5, 0, 50, True)  # fmt: skip
    assert spec.lease_ms == 6 * 1_000


def test_branch_result_picks_its_outcome_else_the_remainder_else_none() -> None:
    outcomes = [{"key": "a", "arguments": {"branchResult": "gold"}}, {"key": "b", "arguments": {"branchResult": 2}},
                {"key": "rest"}]  # fmt: skip
    spec = parse_call({"outcomes": outcomes, "arguments": {"execute": {}}}, decision=True)
    assert branch_of(spec, {"branchResult": "gold"}) == (0, "branchResult 'gold'")
    assert branch_of(spec, {"branchResult": 2}) == (1, "branchResult '2'")
    assert branch_of(spec, {"branchResult": "tin"}) == (
        2,
        "branchResult 'tin' matches no outcome: the remainder path",
    )
    assert branch_of(spec, ["no"]) == (2, "the answer carries no branchResult: the remainder path")
    strict = parse_call({"outcomes": outcomes[:2], "arguments": {"execute": {}}}, decision=True)
    assert branch_of(strict, {}) == (None, "the answer carries no branchResult")


def test_the_default_best_hour_is_a_whole_hour_within_the_window_never_the_arrival_hour() -> None:
    arrival = 1_893_456_000_000 + 37 * 60_000  # 00:37 UTC
    for contact in (f"c{i}" for i in range(50)):
        for window in (1, 3, 24):
            request = StoRequest(0, 1, "j", "STO", contact, arrival, window)
            release = release_ms(hashed_best_hour, request)
            assert release % HOUR_MS == 0 and arrival < release <= arrival + window * HOUR_MS
            assert release_ms(hashed_best_hour, request) == release  # deterministic
    # A pluggable function is kept within the window.
    assert release_ms(lambda r: r.arrival_ms + 99 * HOUR_MS, StoRequest(0, 1, "j", "S", "c", arrival, 2)) == (
        arrival + 2 * HOUR_MS
    )


async def _serve_raw(answer: bytes) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _call(answer: bytes, **request: Any) -> CallAnswer:
    async def run() -> CallAnswer:
        server, port = await _serve_raw(answer)
        async with server:
            target = OutboundPolicy().check(f"http://127.0.0.1:{port}/x")
            assert isinstance(target, Target)
            client = HttpClient()
            try:
                return await client.call(OutboundRequest(target, b"{}", "application/json", **request))
            finally:
                client.close()
                await asyncio.sleep(0)  # let the closed transports finish closing

    return asyncio.run(run())


def test_the_client_reads_chunked_and_unsized_answers_and_follows_no_redirect() -> None:
    chunked = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n'
    assert _call(chunked).body == {"a": 1}
    unsized = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"b": 2}'
    assert _call(unsized).body == {"b": 2}
    moved = b"HTTP/1.1 302 Found\r\nLocation: http://evil.test/\r\nContent-Length: 0\r\n\r\n"
    answer = _call(moved, retry_count=3)
    assert (answer.ok, answer.describe()) == (False, "HTTP 302")  # final: not retried, not followed
    garbage = _call(b"SMTP ready\r\n\r\n", retry_count=1)
    assert garbage.describe() == "network error: not an HTTP status line: 'SMTP ready'; " + (
        "network error: not an HTTP status line: 'SMTP ready'"
    )
