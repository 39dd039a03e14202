"""Custom-activity calls per second through the engine, next to the same receiver driven directly
by the load generator, at concurrentRequests 1, 10 and 50 (issue 15).

`python -m bench.calls [--contacts N] [--rounds R]`:

1. A **receiver** process: a Starlette app under uvicorn on loopback that answers every POST at once
   with `{}` (a custom activity's execute endpoint that does nothing).
2. A `journeystack serve` process on a fresh SQLite file, its engine clock frozen at 2030-01-01. For
   each concurrency c, a journey `calls-c`: wait 1 day, then a REST activity (useJwt, c concurrent
   requests) calling the receiver, then the end. N contacts are fired into it and worked (they wait).
3. Each **round**, for each c:
   - `direct`: the load generator's own keep-alive connections (loadgen.HttpConnection), c of them,
     POST a signed execute body to the receiver for a few seconds: requests answered per second.
   - `engine`: `POST /_journeystack/clock/advance {"by": "1d"}`: every contact's wait ends, it
     reaches the REST activity, the engine stores its call, the caller claims and makes it, records
     the answer, and the engine applies it (the contact's path ends). The advance answers only once
     every call is made and applied; N / its duration is the engine's rate. The next round publishes
     a new version first, so there are N contacts waiting again.
4. The report: the median of the rounds per c, and engine / direct. Target: >= 0.5 at c = 50.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from journeystack.domain.jwt import encode_hs256

from .loadgen import HttpConnection
from .processes import free_port

ADMIN = "bench-calls-admin"
SECRET = "bench-calls-jwt-secret"
MID = 1000001
LEVELS = (1, 10, 50)
PACKAGES = [
    {
        "client_id": "journeystack",
        "client_secret": "journeystack",
        "mids": [MID],
        "jwt_signing_secret": SECRET,
    }
]
T0 = "2030-01-01T00:00:00Z"


def receiver_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def execute(request: Request) -> Response:
        await request.body()
        return Response(b"{}", media_type="application/json")

    return Starlette(routes=[Route("/execute", execute, methods=["POST"])])


def _serve_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(receiver_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def _process(
    command: list[str], ready_url: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(ready_url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[:4]} did not start") from None
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _envelope(i: int) -> dict[str, Any]:
    return {"inArguments": [{"contactKey": f"c{i}"}], "outArguments": [], "activityObjectID": "a", "journeyId": "j",
            "activityId": "a", "definitionInstanceId": f"d{i}", "activityInstanceId": f"x{i}", "keyValue": f"c{i}",
            "mode": 0}  # fmt: skip


async def _direct(port: int, connections: int, seconds: float) -> float:
    """Requests per second of `connections` keep-alive connections posting a signed body at once."""
    loop = asyncio.get_running_loop()
    body = encode_hs256(_envelope(1), SECRET).encode()
    request = (
        f"POST /execute HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/jwt\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    opened = [await loop.create_connection(HttpConnection, "127.0.0.1", port) for _ in range(connections)]
    conns = [protocol for _, protocol in opened]
    done = 0
    stop = loop.time() + seconds

    async def drive(connection: HttpConnection) -> None:
        nonlocal done
        while loop.time() < stop:
            status, _ = await connection.request(request)
            assert status == 200
            done += 1

    started = loop.time()
    await asyncio.gather(*(drive(c) for c in conns))
    elapsed = loop.time() - started
    for connection in conns:
        connection.close()
    return done / elapsed


def _direct_process(port: int, connections: int, seconds: float) -> float:
    """The load generator in its own process (uvloop), as the other benchmarks run it."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.calls", "--direct", str(port), str(connections), str(seconds)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(output.stdout.strip().splitlines()[-1])


def _journey(key: str, url: str, concurrency: int) -> dict[str, Any]:
    event = f"APIEvent-{key}"
    return {
        "key": key, "name": key, "workflowApiVersion": 1.0, "entryMode": "MultipleEntries",
        "triggers": [{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": event}}],
        "activities": [
            {"key": "WAIT", "type": "WAIT", "outcomes": [{"key": "w", "next": "REST-1"}],
             "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}},
            {"key": "REST-1", "type": "REST", "outcomes": [{"key": "r", "next": None}],
             "arguments": {"execute": {"url": url, "useJwt": True, "concurrentRequests": concurrency, "timeout": 10000,
                                       "inArguments": [{"contactKey": "{{Contact.Key}}"}]}}},
        ],
    }  # fmt: skip


class Journeystack:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=600)
        token = self.http.post("/v2/token", json={"grant_type": "client_credentials", "client_id": "journeystack",
                                                  "client_secret": "journeystack", "account_id": MID}).json()  # fmt: skip
        self.auth = {"Authorization": f"Bearer {token['access_token']}"}
        self.admin = {"Authorization": f"Bearer {ADMIN}"}

    def ok(self, method: str, path: str, *, admin: bool = False, **kwargs: Any) -> Any:
        response = self.http.request(method, path, headers=self.admin if admin else self.auth, **kwargs)
        assert response.status_code in (200, 201, 202), response.text
        return response.json()

    def publish(self, body: dict[str, Any]) -> None:
        created = self.ok("POST", "/interaction/v1/interactions", json=body)
        started = self.ok(
            "POST",
            f"/interaction/v1/interactions/publishAsync/{created['id']}?versionNumber={created['version']}",
            json={},
        )
        while True:
            status = self.ok("GET", started["statusUrl"])
            if not status["status"].endswith("InProcess"):
                assert status["status"] == "PublishCompleted", status
                return
            time.sleep(0.05)

    def fill(self, key: str, contacts: int, round_: int) -> None:
        event = f"APIEvent-{key}"
        for start in range(0, contacts, 100):
            members = [{"contactKey": f"r{round_}-c{i}"} for i in range(start, min(contacts, start + 100))]
            self.ok(
                "POST", "/interaction/v1/async/events", json={"eventDefinitionKey": event, "members": members}
            )
        self.ok("POST", "/_journeystack/clock/run-until-idle", admin=True)

    def population(self, key: str) -> int:
        """Contacts still in the journey's latest version (waiting, or calling)."""
        found = self.ok("GET", f"/interaction/v1/interactions/key:{key}?extras=stats")
        return int(found["stats"]["currentPopulation"])

    def advance(self) -> tuple[float, dict[str, int]]:
        started = time.perf_counter()
        answer = self.ok("POST", "/_journeystack/clock/advance", admin=True, json={"by": "1d"})
        return time.perf_counter() - started, answer["processed"]


def run(contacts: int, rounds: int, seconds: float) -> dict[str, Any]:
    receiver_port, server_port = free_port(), free_port()
    results: dict[int, dict[str, list[float]]] = {c: {"direct": [], "engine": []} for c in LEVELS}
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as directory:
        env = {"JOURNEYSTACK_ADMIN_TOKEN": ADMIN, "JOURNEYSTACK_PACKAGES": json.dumps(PACKAGES),
               "JOURNEYSTACK_ACCESS_LOG": "false", "JOURNEYSTACK_JOURNAL": "false",
               "JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0.05"}  # fmt: skip
        server = [sys.executable, "-m", "journeystack", "serve", "--port", str(server_port),
                  "--database-url", f"sqlite:///{Path(directory) / 'calls.db'}"]  # fmt: skip
        receiver = [sys.executable, "-m", "bench.calls", "--receiver", str(receiver_port)]
        with (
            _process(receiver, f"http://127.0.0.1:{receiver_port}/"),
            _process(server, f"http://127.0.0.1:{server_port}/openapi.json", env),
        ):
            js = Journeystack(f"http://127.0.0.1:{server_port}")
            js.ok("POST", "/_journeystack/clock/freeze", admin=True)
            js.ok("POST", "/_journeystack/clock/advance", admin=True, json={"to": T0})
            url = f"http://127.0.0.1:{receiver_port}/execute"
            for c in LEVELS:
                js.ok("POST", "/interaction/v1/eventDefinitions",
                      json={"type": "APIEvent", "name": f"calls-{c}", "eventDefinitionKey": f"APIEvent-calls-{c}",
                          "dataExtensionId": f"de-calls-{c}"})  # fmt: skip
            for round_ in range(rounds):
                for c in LEVELS:
                    key = f"calls-{c}"
                    js.publish(_journey(key, url, c))  # a new version each round: the old one finishes
                    js.fill(key, contacts, round_)
                    results[c]["direct"].append(_direct_process(receiver_port, c, seconds))
                    elapsed, processed = js.advance()
                    assert processed["steps"] >= contacts, processed
                    assert js.population(key) == 0, "the advance answered before every call was applied"
                    results[c]["engine"].append(contacts / elapsed)
    table = {}
    for c in LEVELS:
        direct, engine = statistics.median(results[c]["direct"]), statistics.median(results[c]["engine"])
        table[c] = {"direct": round(direct), "engine": round(engine), "ratio": round(engine / direct, 2),
                    "rounds": {k: [round(v) for v in vs] for k, vs in results[c].items()}}  # fmt: skip
    return {"contacts": contacts, "rounds": rounds, "cpus": os.cpu_count(), "levels": table}


def report(result: dict[str, Any]) -> str:
    lines = [
        f"Custom-activity calls per second, {result['contacts']} contacts per level, median of {result['rounds']} rounds",
        "",
        "| concurrentRequests | direct (req/s) | through the engine (calls/s) | engine / direct |",
        "|---:|---:|---:|---:|",
    ]
    for c, row in result["levels"].items():
        lines.append(f"| {c} | {row['direct']:,} | {row['engine']:,} | {row['ratio']:.2f} |")
    ratio = result["levels"][50]["ratio"]
    lines += [
        "",
        f"Target at 50: >= 0.5x direct; measured {ratio:.2f}x: {'met' if ratio >= 0.5 else 'NOT met'}.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calls", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--contacts", type=int, default=3000, help="contacts per level and round (default 3000)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="length of a direct measurement (default 3 s)"
    )
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--direct", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        _serve_receiver(args.receiver)
        return 0
    if args.direct:
        import uvloop

        port, connections, seconds = int(args.direct[0]), int(args.direct[1]), float(args.direct[2])
        print(uvloop.run(_direct(port, connections, seconds)))
        return 0
    result = run(args.contacts, args.rounds, args.seconds)
    text = report(result)
    print(text)
    out = Path(__file__).parent / "reports" / "calls.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
