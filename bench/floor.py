"""The floor: the least any server on journeystack's stack can do for the benchmark's PUT and GET.

A bare ASGI app under uvicorn with the settings `journeystack serve` uses (uvloop, httptools, one
process, no access log, no server header), on the same SQLite file and table, in WAL mode with
synchronous=NORMAL like journeystack's engine. A PUT parses the body with orjson and runs one
conditional `UPDATE journeys SET ... WHERE mid=? AND key=? AND version=? AND modified_ms=?
RETURNING ...` in the event loop; the response is the stored row. No auth, no validation, no
threads, no ORM: journeystack's PUT (200) throughput divided by this one is the overhead ratio.

`POST /interaction/v1/events` (the runtime benchmarks, bench/runtime.py) parses the body with orjson
and inserts the fired event into `engine_inbox` (one autocommit `INSERT`, in the event loop), then
answers 201 with a new eventInstanceId: no auth, no event definition lookup, no Data check, no
engine behind it.

`python -m bench.floor --port 8000 --database /path/to/journeystack.db`; `GET /ping` answers a
constant (the generator's ceiling run).
"""

from __future__ import annotations

import argparse
import sqlite3
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

MID = 1000001
PREFIX = "/interaction/v1/interactions/key:"
EVENTS = "/interaction/v1/events"
# Members stored in their own columns rather than in the spec document (as journeystack does).
_ATTRIBUTES = ("key", "name", "description", "workflowApiVersion", "entryMode", "definitionType")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UPDATE = (
    "UPDATE journeys SET name = ?, description = ?, spec = ?, modified_ms = max(?, modified_ms + 1) "
    "WHERE mid = ? AND key = ? AND version = ? AND modified_ms = ? "
    "RETURNING journey_id, key, version, name, description, status, created_ms, modified_ms, spec"
)
_SELECT = (
    "SELECT journey_id, key, version, name, description, status, created_ms, modified_ms, spec "
    "FROM journeys WHERE mid = ? AND key = ? ORDER BY version DESC LIMIT 1"
)
_INSERT_EVENT = (
    "INSERT INTO engine_inbox (mid, event_key, contact_key, event_instance_id, request_id, data, fired_ms) "
    "VALUES (?, ?, ?, ?, NULL, ?, ?)"
)
_HEADERS = [(b"content-type", b"application/json")]


def format_ms(ms: int) -> str:
    """SFMC's date format (the one journeystack answers with): trailing fraction zeros trimmed."""
    text = (_EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = ms % 1000
    return text + ("." + f"{fraction:03d}".rstrip("0") if fraction else "")


def parse_ms(text: str) -> int:
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _render(row: tuple[Any, ...]) -> bytes:
    """The row as a journey: its columns, then the stored spec document spliced in unparsed."""
    journey_id, key, version, name, description, status, created_ms, modified_ms, spec = row
    head = orjson.dumps(
        {
            "id": journey_id,
            "key": key,
            "name": name,
            "description": description,
            "version": version,
            "createdDate": format_ms(created_ms),
            "modifiedDate": format_ms(modified_ms),
            "status": status,
        }
    )
    return head[:-1] + b"," + spec[1:].encode() if len(spec) > 2 else head


class Floor:
    def __init__(self, database: str) -> None:
        self.db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            self.db.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/ping":
            status, body = 200, b'{"ping":"pong"}'
        elif path.startswith(PREFIX) and method == "PUT":
            status, body = self.put(path[len(PREFIX) :], await _body(receive))
        elif path == EVENTS and method == "POST":
            status, body = self.event(await _body(receive))
        elif path.startswith(PREFIX) and method == "GET":
            row = self.db.execute(_SELECT, (MID, path[len(PREFIX) :])).fetchone()
            status, body = (200, _render(row)) if row is not None else (404, b'{"message":"not found"}')
        else:
            status, body = 404, b'{"message":"not found"}'
        headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def event(self, raw: bytes) -> tuple[int, bytes]:
        data = orjson.loads(raw)
        instance_id = str(uuid.uuid4())
        fired = time.time_ns() // 1_000_000
        self.db.execute(
            _INSERT_EVENT,
            (
                MID,
                data["EventDefinitionKey"],
                data["ContactKey"],
                instance_id,
                orjson.dumps(data.get("Data")).decode(),
                fired,
            ),
        )
        return 201, orjson.dumps({"eventInstanceId": instance_id})

    def put(self, key: str, raw: bytes) -> tuple[int, bytes]:
        data = orjson.loads(raw)
        version, seen = data.pop("version"), data.pop("modifiedDate")
        name, description = data["name"], data.get("description", "")
        spec = orjson.dumps({k: v for k, v in data.items() if k not in _ATTRIBUTES}).decode()
        now = time.time_ns() // 1_000_000
        row = self.db.execute(
            _UPDATE, (name, description, spec, now, MID, key, version, parse_ms(seen))
        ).fetchone()
        if row is None:
            return 400, b'{"message":"stale modifiedDate","errorcode":30000}'
        return 200, _render(row)


async def _body(receive: Receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True, help="path of a SQLite file seeded by bench.stores")
    args = parser.parse_args(argv)
    # Exactly what journeystack.cli passes to uvicorn.run, with uvloop and httptools spelled out
    # (journeystack's "auto" picks the same two when, as here, both are installed).
    uvicorn.run(
        Floor(args.database),
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=False,
        server_header=False,
        loop="uvloop",
        http="httptools",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
