"""Single-thread CPU cost of each step of journeystack's request paths, in-process.

The HTTP scenarios say how fast journeystack is; this says where a request's CPU goes, step by step,
without server, threads or network: each step is called a few thousand times on a seeded SQLite
store and timed with `time.process_time` (best of 5 rounds). Steps the current code does not have
are reported as "n/a".

    .venv/bin/python -m bench.micro [--journeys 2000] [--budget 0.2]
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .journeys import MID, SEED, flip, journey_body, journey_key
from .loadgen import TOKEN_BODY
from .runner import deep_page
from .stores import SqliteStore

ROUNDS = 5


def cost(fn: Callable[[], object], budget: float) -> float:
    """Microseconds of CPU per call of `fn`, best of ROUNDS rounds of about `budget` seconds each."""
    started = time.process_time()
    fn()
    once = max(time.process_time() - started, 1e-6)
    calls = max(3, min(20_000, int(budget / once)))
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, time.process_time() - started)
    return best / calls * 1e6


@dataclass(slots=True)
class _PutState:
    seen: bytes
    revision: int = 0


def _raw(uow: Any) -> sqlite3.Connection:
    """The sqlite3 connection under a unit of work's SQLAlchemy connection."""
    raw = uow.journeys._c.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def measure(journeys: int, budget: float) -> list[tuple[str, float | None]]:
    from journeystack.api.app import api_of, create_app
    from journeystack.api.http import ApiRequest, json_response, parse_json_object
    from journeystack.api.schemas.journeys import parse_update, render
    from journeystack.config import load_settings
    from journeystack.services import journeys as service
    from journeystack.services.tokens import TokenRequest

    rows: list[tuple[str, float | None]] = []

    def step(label: str, fn: Callable[[], object] | None) -> None:
        rows.append((label, cost(fn, budget) if fn is not None else None))

    with tempfile.TemporaryDirectory(prefix="journeystack-micro-") as scratch:
        store = SqliteStore(Path(scratch))
        store.seed(journeys, seed=SEED)
        api = api_of(create_app(load_settings(database_url=store.url)))
        api.store.upgrade()
        ctx = api.state.ctx
        issued = api.state.tokens.issue(
            TokenRequest("client_credentials", "journeystack", "journeystack", MID)
        )
        headers = {"authorization": f"Bearer {issued.access_token}", "host": "127.0.0.1"}

        def request(method: str, path: str, body: bytes = b"", query: dict[str, str] | None = None) -> Any:
            return ApiRequest(
                method=method, path=path, params={}, query=dict(query or {}), headers=dict(headers),
                body=body, base_url="http://127.0.0.1/", request_id="micro",
            )  # fmt: skip

        key = journey_key(7)
        path = f"/interaction/v1/interactions/key:{key}"
        step(
            "GET by key: the whole handler (route, auth, service, render)",
            lambda: api._process(request("GET", path)),
        )
        rows.append(
            (
                "GET by key: the whole ASGI app, lifespan running (kept connection, journal, access line)",
                whole_asgi_get(store.url, path, issued.access_token, budget),
            )
        )
        step("  route match", lambda: api.router.match("GET", path))
        step("  bearer token check (cached)", lambda: api.state.tokens.verify(issued.access_token))
        step("  service get_journey", lambda: service.get_journey(ctx, MID, key=key))

        def empty_read() -> None:
            with api.store():
                pass

        step("    open + close a read unit of work", empty_read)
        with api.store() as uow:
            step("    repository latest() in an open unit of work", lambda: uow.journeys.latest(MID, key=key))
            raw = _raw(uow)
            sql = "SELECT * FROM journeys WHERE mid = ? AND key = ? ORDER BY version DESC LIMIT 1"
            step(
                "    the same query on the raw sqlite3 connection",
                lambda: raw.execute(sql, (MID, key)).fetchone(),
            )
        found = service.get_journey(ctx, MID, key=key)
        step("  render + orjson response", lambda: json_response(render(found)))

        response = api._process(request("GET", path))
        control = getattr(api, "control", None)
        recorder = getattr(control, "record", None)
        step(
            "after the response: control-plane journal record",
            (
                lambda: recorder(
                    method="GET",
                    path=path,
                    query=b"",
                    headers=headers,
                    request=request("GET", path),
                    response=response,
                    request_id="micro",
                    started=time.perf_counter(),
                )  # fmt: skip
            )
            if recorder is not None
            else None,
        )
        access = logging.getLogger("journeystack.access")
        with open(os.devnull, "w") as sink:
            handler = logging.StreamHandler(sink)
            access.addHandler(handler)
            access.setLevel(logging.INFO)
            step(
                "after the response: access log line",
                lambda: access.info("%s %s %d %.1fms", "GET", path, 200, 1.0, extra={"request_id": "micro"}),
            )
            access.removeHandler(handler)

        index = 11
        put_path = f"/interaction/v1/interactions/key:{journey_key(index)}"
        body = journey_body(index, seed=SEED)
        got = api._process(request("GET", put_path)).body
        assert got is not None
        parts = [
            orjson.dumps(flip(body, r) | {"version": 1, "modifiedDate": "@@"}).split(b"@@") for r in (0, 1)
        ]
        state = _PutState(seen=orjson.loads(got)["modifiedDate"].encode())

        def put(revision: int, expect: int) -> None:
            before, after = parts[revision]
            answer = api._process(request("PUT", put_path, before + state.seen + after))
            if answer.status != expect:
                raise AssertionError(f"PUT answered {answer.status}: {answer.body!r:.300}")
            if expect == 200:
                assert answer.body is not None
                start = answer.body.index(b'"modifiedDate":"') + 16
                state.seen = answer.body[start : answer.body.index(b'"', start)]
                state.revision = revision

        step("PUT (200): the whole handler", lambda: put(1 - state.revision, 200))
        step("PUT (304): the whole handler", lambda: put(state.revision, 304))
        raw_body = parts[0][0] + state.seen + parts[0][1]
        step("  parse_json_object (orjson + depth walk)", lambda: parse_json_object(raw_body, max_depth=64))
        parsed = parse_json_object(raw_body, max_depth=64)
        step("  parse_update (pydantic + definition)", lambda: parse_update(parsed))
        try:
            from journeystack.domain.spec import check_structure
        except ImportError:
            step("  Journey Spec save-time checks", None)
        else:
            step("  Journey Spec save-time checks", lambda: check_structure(parsed))

        def empty_write() -> None:
            with api.store(write=True) as uow:
                uow.commit()

        step("  open + commit + close a write unit of work", empty_write)
        list_query = {"page": "1", "pagesize": "50"}
        step(
            "list page 1 (50): the whole handler",
            lambda: api._process(request("GET", "/interaction/v1/interactions", query=list_query)),
        )
        deep = deep_page(journeys)
        step(
            f"list page {deep} (50): the whole handler",
            lambda: api._process(
                request("GET", "/interaction/v1/interactions", query={"page": str(deep), "pagesize": "50"})
            ),
        )
        with api.store() as uow:
            raw = _raw(uow)
            count = "SELECT count(*) FROM journeys WHERE mid = ? AND is_head = 1"
            step(
                "  the page's count(*) alone, on the raw sqlite3 connection",
                lambda: raw.execute(count, (MID,)).fetchone(),
            )
        token_body = orjson.dumps(TOKEN_BODY)
        step(
            "POST /v2/token: the whole handler",
            lambda: api._process(request("POST", "/v2/token", token_body)),
        )
        api.store.dispose()
    return rows


def whole_asgi_get(url: str, path: str, token: str, budget: float) -> float:
    """CPU µs per GET through the whole ASGI app of a second app on the same store, its lifespan
    running as under a server (so reads go through the event loop's kept connection) and its log
    lines written to /dev/null by journeystack's own writer thread; no sockets. Best of ROUNDS."""
    import asyncio

    from journeystack.api.app import create_app
    from journeystack.config import load_settings
    from journeystack.logs import configure_logging

    configure_logging("info", open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    app = create_app(load_settings(database_url=url))
    scope = {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"*/*"), (b"authorization", f"Bearer {token}".encode())],
        "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 50000), "http_version": "1.1",
    }  # fmt: skip
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run() -> float:
        async with app.router.lifespan_context(app):
            started = time.process_time()
            await app(scope, receive, send)
            calls = max(3, min(20_000, int(budget / max(time.process_time() - started, 1e-6))))
            best = float("inf")
            for _ in range(ROUNDS):
                started = time.process_time()
                for _ in range(calls):
                    await app(scope, receive, send)
                best = min(best, time.process_time() - started)
        if set(statuses) != {200}:
            raise AssertionError(f"GET answered {sorted(set(statuses))}")
        return best / calls * 1e6

    return asyncio.run(run())


def markdown(rows: list[tuple[str, float | None]]) -> str:
    lines = ["| step (single thread, in-process) | CPU µs per call |", "| --- | ---: |"]
    for label, micros in rows:
        depth = (len(label) - len(label.lstrip(" "))) // 2
        shown = "· " * depth + label.strip()
        lines.append(f"| {shown} | {f'{micros:,.1f}' if micros is not None else 'n/a'} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.micro", description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=2000, help="journeys in the seeded store")
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per round (5 rounds, best kept)")
    args = parser.parse_args(argv)
    print(markdown(measure(args.journeys, args.budget)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
