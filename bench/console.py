"""`python -m bench.console`: the web console's server time (issue 17: under 200 ms for a journey
with 50 activities and for a list page at 100k journeys).

Seeds a SQLite store with N journeys (bench/stores.py, default 100,000), serves it with a real
`journeystack serve`, adds a published 50-activity journey that 500 contacts have moved through
(history, instances, counts on the canvas) and a second version of it, signs in with the login URL
`serve` prints, and asks each page R times (default 20). Server time is the page's own
`Server-Timing` header (the handler, from session check to rendered HTML); the round trip on
loopback is shown beside it.

Floor, in the same run: journeystack is stopped and a bare ASGI app under uvicorn, with the
settings `serve` uses (as bench/floor.py), serves each page's HTML as journeystack answered it,
from memory, to the same client; the report gives journeystack's round trip over the floor's (what
the page costs beyond moving its bytes on this machine, now). Writes
bench/reports/console-<size>.md and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send
from tests.console_journeys import event, large

from journeystack.client import Client

from .processes import BENCH_ROOT, HOST, Server, free_port, journeystack_command
from .stores import SqliteStore

TARGET_MS = 200.0
CONTACTS = 500
REPORTS = BENCH_ROOT / "bench" / "reports"


def _timing(response: httpx.Response) -> float:
    found = re.search(r"dur=([0-9.]+)", response.headers.get("server-timing", ""))
    if response.status_code != 200 or found is None:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}: {response.text[:300]}")
    return float(found.group(1))


def measure(browser: httpx.Client, path: str, rounds: int) -> dict[str, Any]:
    first = _timing(browser.get(path))
    server, trip = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        response = browser.get(path)
        trip.append((time.perf_counter() - started) * 1000)
        server.append(_timing(response))
    server.sort()
    return {
        "path": path, "first_ms": first, "median_ms": statistics.median(server),
        "p95_ms": server[max(0, int(len(server) * 0.95) - 1)], "trip_median_ms": statistics.median(trip),
        "bytes": len(response.content), "body": response.content,
    }  # fmt: skip


class Floor:
    """The floor: each page's HTML, as journeystack answered it, from memory; nothing else."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        target = scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        body = self.pages.get(target)
        status, body = (200, body) if body is not None else (404, b"")
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def floor_trips(directory: Path, results: list[tuple[str, dict[str, Any]]], rounds: int) -> dict[str, float]:
    """Serve every page's HTML from the floor app and time each one's round trip (median)."""
    manifest = directory / "floor-pages.json"
    manifest.write_text(json.dumps({r["path"]: r["body"].decode() for _label, r in results}))
    port = free_port()
    command = [sys.executable, "-m", "bench.console", "--serve-floor", str(manifest), "--port", str(port)]
    server = Server("floor", command, directory / "floor.log", None, port, {})
    try:
        server.wait_ready(timeout=60)
        trips: dict[str, float] = {}
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60) as browser:
            for _label, r in results:
                browser.get(r["path"]).raise_for_status()
                times = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = browser.get(r["path"])
                    times.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                trips[r["path"]] = statistics.median(times)
        return trips
    finally:
        server.stop()


def serve_floor(manifest: Path, port: int) -> None:
    import uvicorn

    pages = {path: html.encode() for path, html in json.loads(manifest.read_text()).items()}
    # What journeystack.cli passes to uvicorn.run, as bench/floor.py does.
    uvicorn.run(Floor(pages), host=HOST, port=port, log_level="info", access_log=False, server_header=False,
                loop="uvloop", http="httptools")  # fmt: skip


def run(size: int, rounds: int) -> str:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="journeystack-console-bench-") as scratch:
        directory = Path(scratch)
        store = SqliteStore(directory)
        seeded = store.seed(size, seed=1)
        port = free_port()
        log = directory / "server.log"
        env = {"JOURNEYSTACK_ADMIN_TOKEN": "", "JOURNEYSTACK_ACCESS_LOG": "false",
               "JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0.05"}  # fmt: skip
        server = Server("journeystack", journeystack_command(store.url, [], port), log, None, port, env)
        try:
            server.wait_ready(timeout=120)
            banner = log.read_text()
            admin_token = re.search(r"admin token: (\S+)", banner)
            login = re.search(r"console:\s+(\S+)", banner)
            assert admin_token is not None and login is not None, banner
            url = f"http://127.0.0.1:{port}"
            large_id = _seed_flow(url, admin_token.group(1))
            with httpx.Client(base_url=url, timeout=120) as browser:
                browser.get(login.group(1))
                pages = [
                    ("Journeys list, page 1", "/console/journeys"),
                    ("Journeys list, page 100", "/console/journeys?page=100"),
                    ("Journeys list, search (name or key)", "/console/journeys?q=zz-no-such-journey"),
                    ("Journeys list, status filter", "/console/journeys?status=Published"),
                    ("Journeys list, folder filter (no match: worst case)", "/console/journeys?folder=1"),
                    ("50-activity journey: canvas, counts, audit", f"/console/journeys/{large_id}?version=1"),
                    (
                        "50-activity journey: Draft v2 with publish checks",
                        f"/console/journeys/{large_id}?version=2",
                    ),
                    (
                        "50-activity journey: diff v1 ↔ v2",
                        f"/console/journeys/{large_id}/diff?left=1&right=2",
                    ),
                    ("Event definitions", "/console/events"),
                    ("Request journal", "/console/journal"),
                    ("Contact timeline", "/console/contacts/contact-7"),
                ]
                results = [(label, measure(browser, path, rounds)) for label, path in pages]
        finally:
            server.stop()
        floor = floor_trips(directory, results, rounds)
    load_after = os.getloadavg()
    lines = [
        f"# Console server time: {size:,} journeys (SQLite, one `journeystack serve` process)",
        "",
        f"Store seeded in {seeded.seconds:.1f} s ({seeded.database_bytes / 1e6:.0f} MB). The 50-activity journey "
        f"has {CONTACTS} contacts through it. {rounds} requests per page after a first one; server time is the "
        "page's `Server-Timing` (session check to rendered HTML), round trip on loopback beside it. "
        "Floor, in the same run after journeystack stopped: a bare ASGI app under uvicorn serving the same "
        "HTML from memory to the same client; the ratio is journeystack's round trip over the floor's. "
        f"Target: server time under {TARGET_MS:.0f} ms (p95; `first` is the first request, before any cache).",
        "",
        f"Machine: {os.cpu_count()} cores, load average {load_before[0]:.1f} before and {load_after[0]:.1f} after "
        "the run (nothing is pinned: other load inflates every time; the ratio to the floor, measured a minute "
        "later on the same machine, less).",
        "",
        "| page | first (ms) | median (ms) | p95 (ms) | round trip median (ms) | floor round trip median (ms) "
        "| round trip / floor | HTML bytes | under target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, r in results:
        ok = "yes" if r["p95_ms"] < TARGET_MS else "**no**"
        base = floor[r["path"]]
        lines.append(f"| {label} | {r['first_ms']:.1f} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['trip_median_ms']:.1f} | {base:.2f} | {r['trip_median_ms'] / base:.1f} | "
                     f"{r['bytes']:,} | {ok} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _seed_flow(url: str, admin_token: str) -> str:
    """A published 50-activity journey with CONTACTS contacts moved through it, and a Draft v2."""
    admin = httpx.Client(base_url=url + "/_journeystack", headers={"Authorization": f"Bearer {admin_token}"},
                         timeout=300)  # fmt: skip
    with Client(url, "journeystack", "journeystack", account_id=1000001) as sfmc, admin:
        sfmc.event_definitions.create(event())
        body = large(50)
        created = sfmc.journeys.create(body)
        sfmc.journeys.publish(created)
        admin.post("/clock/freeze").raise_for_status()
        for start in range(0, CONTACTS, 100):
            members = [{"contactKey": f"contact-{i}", "data": {"Email": f"c{i}@example.com"}}
                       for i in range(start, min(CONTACTS, start + 100))]  # fmt: skip
            sfmc.fire_events(body["triggers"][0]["metaData"]["eventDefinitionKey"], members)
        admin.post("/clock/run-until-idle").raise_for_status()
        admin.post("/clock/advance", json={"by": "12d"}).raise_for_status()
        body["activities"][0]["configurationArguments"]["waitDuration"] = 3
        sfmc.journeys.create(body)
        return created.id


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="journeys in the store (default 100000)")
    parser.add_argument("--rounds", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--serve-floor", type=Path, help=argparse.SUPPRESS)  # the floor's own process
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor is not None:
        serve_floor(args.serve_floor, args.port)
        return
    text = run(args.size, args.rounds)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"console-{args.size}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
