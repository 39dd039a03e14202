"""The load generator: its own process, uvloop, raw HTTP/1.1 keep-alive connections, pre-built requests.

`python -m bench.loadgen` reads a plan (JSON) on stdin and writes one JSON result line per scenario
on stdout. Each of the plan's connections is a virtual client that sends one request at a time and
owns its own journeys: a PUT carries the modifiedDate of the previous response for that journey, so
every measured PUT (200) is a real successful update and every PUT (304) a real no-change.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import cast

import orjson

from .balance import balance
from .journeys import SEED, flip, journey_body, journey_key

CONNECTIONS = 16
JOURNEYS_PER_CLIENT = 4
GET_KEYS_PER_CLIENT = 1000
TOKEN_BODY = {
    "grant_type": "client_credentials",
    "client_id": "journeystack",
    "client_secret": "journeystack",
    "account_id": 1000001,
}
INTERACTIONS = "/interaction/v1/interactions"
EVENTS = "/interaction/v1/events"
_MODIFIED = b'"modifiedDate":"'
_MARK = "@@modifiedDate@@"


class ProtocolError(Exception):
    """The server answered something this client cannot parse (or closed the connection)."""


class HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with at most one request in flight."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None
        self._head_end = -1
        self._total = -1
        self._status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ProtocolError(f"connection closed: {exc}"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._total < 0:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end]).lower()
            self._status = int(head[9:12])
            start = head.find(b"\r\ncontent-length:")
            if start >= 0:
                stop = head.find(b"\r\n", start + 2)
                length = int(head[start + 17 : stop if stop > 0 else len(head)])
            elif self._status in (204, 304) or 100 <= self._status < 200:
                length = 0
            else:
                self._fail(ProtocolError(f"response without content-length: {head[:200]!r}"))
                return
            self._head_end = end + 4
            self._total = end + 4 + length
        if len(self._buffer) < self._total:
            return
        body = bytes(self._buffer[self._head_end : self._total])
        del self._buffer[: self._total]
        self._total = -1
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self._status, body))

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        if self._transport is not None:
            self._transport.close()

    async def request(self, data: bytes) -> tuple[int, bytes]:
        assert self._transport is not None and self._waiter is None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    @property
    def local_port(self) -> int:
        assert self._transport is not None
        port: int = self._transport.get_extra_info("sockname")[1]
        return port


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    kind: str  # put200 | put304 | get | list | token | ping | event
    page: int = 1
    # A list's filters and ordering (query parameters without $page/$pageSize), e.g. "status=Published".
    query: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    port: int
    journeys: int
    scenarios: list[Scenario]
    host: str = "127.0.0.1"
    # The server's first process: its CPU is that of its whole process tree (`--workers` runs a
    # supervisor and its workers).
    server_pid: int = 0
    # A database server's first process (PostgreSQL's postmaster), measured apart the same way; 0: none.
    database_pid: int = 0
    # The server's worker processes: with more than one, the connections are spread evenly over them.
    workers: int = 1
    connections: int = CONNECTIONS
    warmup: float = 1.0
    duration: float = 5.0
    seed: int = SEED
    auth: bool = True
    # Processes of ours besides server and generator (a profiler): not counted as other load.
    helper_pids: list[int] = field(default_factory=list)
    # The event definition key the `event` scenarios fire (POST /interaction/v1/events).
    event_key: str = ""

    @classmethod
    def from_json(cls, raw: bytes) -> Plan:
        data = orjson.loads(raw)
        data["scenarios"] = [Scenario(**s) for s in data["scenarios"]]
        return cls(**data)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))


@dataclass(slots=True)
class Result:
    name: str
    kind: str
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_sample: str = ""
    generator_cpu: float = 0.0  # share of one core the generator used in the window
    generator_us_per_request: float = 0.0
    server_cpu: float = 0.0  # cores' worth of CPU the server's processes used in the window
    # The server's CPU time per response: unlike req/s, it does not depend on how much of its core
    # the server got, so it compares two servers on a busy machine (1e6 / it = req/s on a whole core).
    server_us_per_request: float = 0.0
    # Each of the server's processes that used CPU, busiest first (with --workers: the workers and
    # their supervisor), in cores' worth: how evenly the workers shared the load.
    server_processes: list[float] = field(default_factory=list)
    # With several workers: the generator's connections each worker held, most first.
    server_connections: list[int] = field(default_factory=list)
    database_cpu: float = 0.0  # cores' worth of CPU the database server's processes used (PostgreSQL)
    database_us_per_request: float = 0.0
    other_cpu: float = 0.0  # cores' worth of CPU everything else on the machine used in the window
    page: int = 0
    response_bytes: int = 0
    attempts: int = 1
    # With --rounds: the req/s of every round, in the order they ran (this result is their median).
    round_rps: list[float] = field(default_factory=list)


def server_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc; 0.0 when unknown."""
    if pid <= 0:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(*roots: int) -> list[dict[int, float]]:
    """For each root pid, the CPU seconds of it and every process below it, by pid ({} when the root
    is unknown). Each process counts utime + stime and the cutime + cstime of the children it has
    reaped, so a child's time still counts after it exits (a PostgreSQL backend, say)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    seconds: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:  # it exited meanwhile
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        seconds[pid] = sum(int(value) for value in fields[11:15]) / tick
    trees = []
    for root in roots:
        tree: dict[int, float] = {}
        pending = [root] if root in seconds else []
        while pending:
            pid = pending.pop()
            tree[pid] = seconds[pid]
            pending += children.get(pid, [])
        trees.append(tree)
    return trees


@dataclass(frozen=True, slots=True)
class _Sample:
    """What the CPU accounting of a window needs, at one instant."""

    server: dict[int, float]
    database: dict[int, float]
    helpers: float
    machine: float
    generator: float

    @classmethod
    def take(cls, plan: Plan) -> _Sample:
        server, database = tree_cpu_seconds(plan.server_pid, plan.database_pid)
        helpers = sum(server_cpu_seconds(pid) for pid in plan.helper_pids)
        return cls(server, database, helpers, machine_busy_seconds(), time.process_time())


def machine_busy_seconds() -> float:
    """CPU time every core spent busy since boot (all processes and the kernel), from /proc/stat."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class OwnedJourney:
    key: str
    parts: tuple[tuple[bytes, bytes], tuple[bytes, bytes]]  # PUT body around modifiedDate, per revision
    version: int = 1
    modified: bytes = b""
    revision: int = 0


class Requests:
    """Request bytes, built once per plan; only a PUT's modifiedDate is spliced in per request."""

    def __init__(self, plan: Plan, token: str | None) -> None:
        headers = f"Host: {plan.host}:{plan.port}\r\n"
        if token is not None:
            headers += f"Authorization: Bearer {token}\r\n"
        self._headers = headers.encode()
        self.plan = plan
        # The requests that never change within a scenario, by scenario kind.
        self.fixed = {"token": self.post("/v2/token", orjson.dumps(TOKEN_BODY)), "ping": self.get("/ping")}

    def use_page(self, page: int, query: str = "") -> None:
        filters = f"{query}&" if query else ""
        self.fixed["list"] = self.get(f"{INTERACTIONS}?{filters}$page={page}&$pageSize=50")

    def get(self, path: str) -> bytes:
        return b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._headers + b"\r\n"

    def post(self, path: str, body: bytes) -> bytes:
        return self._with_body(b"POST", path, body)

    def _with_body(self, method: bytes, path: str, body: bytes) -> bytes:
        return (
            method + b" " + path.encode() + b" HTTP/1.1\r\n" + self._headers
            + b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )  # fmt: skip

    def put(self, journey: OwnedJourney, revision: int) -> bytes:
        before, after = journey.parts[revision]
        body = before + journey.modified + after
        return self._with_body(b"PUT", f"{INTERACTIONS}/key:{journey.key}", body)

    def owned(self, index: int) -> OwnedJourney:
        body = journey_body(index, seed=self.plan.seed)
        parts = []
        for revision in (0, 1):
            text = orjson.dumps(flip(body, revision) | {"version": 1, "modifiedDate": _MARK})
            before, after = text.split(_MARK.encode())
            parts.append((before, after))
        return OwnedJourney(key=journey_key(index), parts=(parts[0], parts[1]))


def _modified_date(body: bytes) -> bytes:
    start = body.find(_MODIFIED)
    if start < 0:
        raise ProtocolError(f"no modifiedDate in {body[:200]!r}")
    start += len(_MODIFIED)
    return body[start : body.index(b'"', start)]


class Client:
    """One virtual client: one connection, its own journeys, its own key sample for GETs."""

    def __init__(self, number: int, connection: HttpConnection, requests: Requests, owned: list[int]) -> None:
        self.number = number
        self.connection = connection
        self.requests = requests
        self.journeys = [requests.owned(i) for i in owned]
        rng = random.Random(requests.plan.seed * 7919 + number)
        size = requests.plan.journeys
        self.gets = [
            (requests.get(f"{INTERACTIONS}/key:{journey_key(i)}"), f'"key":"{journey_key(i)}"'.encode())
            for i in (rng.randrange(size) for _ in range(GET_KEYS_PER_CLIENT if size else 0))
        ]
        self.turn = 0
        # Fired events: each for a contact of its own, "ev-<client>-<turn>", with its own Email.
        self.event_middle = (
            b'","EventDefinitionKey":' + orjson.dumps(requests.plan.event_key) + b',"Data":{"Email":"'
        )

    async def prepare(self) -> None:
        """Learn each owned journey's version and modifiedDate, then store revision 0 of it."""
        for journey in self.journeys:
            status, body = await self.connection.request(
                self.requests.get(f"{INTERACTIONS}/key:{journey.key}")
            )
            if status != 200:
                raise ProtocolError(f"GET {journey.key}: {status} {body[:300]!r}")
            stored = orjson.loads(body)
            journey.version, journey.modified = stored["version"], stored["modifiedDate"].encode()
            if journey.version != 1:
                raise ProtocolError(f"{journey.key} has version {journey.version}; the bench PUTs version 1")
            status, body = await self.connection.request(self.requests.put(journey, 0))
            if status == 200:
                journey.modified = _modified_date(body)
            elif status != 304:
                raise ProtocolError(f"PUT {journey.key}: {status} {body[:300]!r}")
            journey.revision = 0

    async def one(self, scenario: Scenario) -> tuple[int, bytes, str]:
        """Send one request of `scenario`; returns (status, body, problem or '')."""
        self.turn += 1
        kind = scenario.kind
        if kind == "put200" or kind == "put304":
            journey = self.journeys[self.turn % len(self.journeys)]
            revision = 1 - journey.revision if kind == "put200" else journey.revision
            status, body = await self.connection.request(self.requests.put(journey, revision))
            if kind == "put304":
                return status, body, "" if status == 304 else "expected 304"
            if status != 200:
                return status, body, "expected 200"
            journey.modified, journey.revision = _modified_date(body), revision
            return status, body, ""
        if kind == "event":
            contact = b"ev-%d-%d" % (self.number, self.turn)
            body = (
                b'{"ContactKey":"' + contact + self.event_middle + contact
                + b'@example.com","FirstName":"Ada","Score":7}}'
            )  # fmt: skip
            status, answer = await self.connection.request(self.requests.post(EVENTS, body))
            return status, answer, "" if status == 201 and b'"eventInstanceId"' in answer else "expected 201"
        if kind == "get":
            request, expected = self.gets[self.turn % len(self.gets)]
            status, body = await self.connection.request(request)
            return status, body, "" if status == 200 and expected in body else "expected the journey"
        status, body = await self.connection.request(self.requests.fixed[kind])
        return status, body, "" if status == 200 else "expected 200"


class Window:
    """The measured part of a scenario: responses that arrive between `start` and `stop`."""

    def __init__(self) -> None:
        self.start = float("inf")
        self.stop = float("inf")
        self.finished = False
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors = 0
        self.error_sample = ""
        self.response_bytes = 0


async def _drive(client: Client, scenario: Scenario, window: Window) -> None:
    clock = time.perf_counter
    while not window.finished:
        began = clock()
        status, body, problem = await client.one(scenario)
        ended = clock()
        if window.start <= ended < window.stop:
            window.latencies.append(ended - began)
            window.statuses[status] += 1
            window.response_bytes += len(body)
            if problem:
                window.errors += 1
                window.error_sample = window.error_sample or f"{status} {problem}: {body[:300]!r}"


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _scenario(plan: Plan, clients: list[Client], scenario: Scenario, spread: list[int]) -> Result:
    window = Window()
    tasks = [asyncio.ensure_future(_drive(c, scenario, window)) for c in clients]
    await asyncio.sleep(plan.warmup)
    before = _Sample.take(plan)
    window.start = time.perf_counter()
    await asyncio.sleep(plan.duration)
    window.stop = time.perf_counter()
    after = _Sample.take(plan)
    window.finished = True
    await asyncio.gather(*tasks)
    seconds = window.stop - window.start
    ordered = sorted(window.latencies)
    count = len(ordered)
    generator = after.generator - before.generator
    # A process that exited in the window has its time in its parent's by the end: 0 of its own.
    processes = {pid: used - before.server.get(pid, 0.0) for pid, used in after.server.items()}
    server = sum(after.server.values()) - sum(before.server.values())
    database = sum(after.database.values()) - sum(before.database.values())
    helpers = after.helpers - before.helpers
    return Result(
        name=scenario.name,
        kind=scenario.kind,
        requests=count,
        seconds=round(seconds, 3),
        rps=count / seconds,
        p50_ms=_percentile(ordered, 0.50) * 1000,
        p90_ms=_percentile(ordered, 0.90) * 1000,
        p99_ms=_percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] if ordered else 0.0) * 1000,
        mean_ms=(sum(ordered) / count if count else 0.0) * 1000,
        statuses={str(k): v for k, v in sorted(window.statuses.items())},
        errors=window.errors,
        error_sample=window.error_sample,
        generator_cpu=generator / seconds,
        generator_us_per_request=generator / count * 1e6 if count else 0.0,
        server_cpu=server / seconds,
        server_us_per_request=server / count * 1e6 if count else 0.0,
        server_processes=sorted((used / seconds for used in processes.values() if used > 0), reverse=True),
        server_connections=spread,
        database_cpu=database / seconds,
        database_us_per_request=database / count * 1e6 if count else 0.0,
        other_cpu=max(0.0, (after.machine - before.machine) - generator - server - database - helpers)
        / seconds,
        page=scenario.page if scenario.kind == "list" else 0,
        response_bytes=window.response_bytes // count if count else 0,
    )


async def _connect(plan: Plan) -> HttpConnection:
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(HttpConnection, plan.host, plan.port)
    return protocol


async def _token(plan: Plan, connection: HttpConnection) -> str:
    status, body = await connection.request(Requests(plan, None).post("/v2/token", orjson.dumps(TOKEN_BODY)))
    if status != 200:
        raise ProtocolError(f"POST /v2/token: {status} {body[:300]!r}")
    token: str = orjson.loads(body)["access_token"]
    return token


def owned_journeys(plan: Plan) -> list[list[int]]:
    """Which journeys each client owns: disjoint, spread over the whole store, the same every run."""
    rng = random.Random(plan.seed)
    picked = rng.sample(range(plan.journeys), plan.connections * JOURNEYS_PER_CLIENT)
    return [picked[c :: plan.connections] for c in range(plan.connections)]


async def run(plan: Plan, emit: Callable[[Result], None]) -> None:
    """Run every scenario of `plan` in order, calling `emit(result)` after each."""
    if plan.host != "127.0.0.1":
        raise ValueError("the load generator talks to 127.0.0.1 only")
    connections = [await _connect(plan) for _ in range(plan.connections)]
    try:
        spread = []
        if plan.workers > 1:
            spread = await balance(
                connections,
                workers=plan.workers,
                server_pid=plan.server_pid,
                port=plan.port,
                client_port=lambda c: c.local_port,
                connect=lambda: _connect(plan),
                close=HttpConnection.close,
            )
        token = await _token(plan, connections[0]) if plan.auth else None
        requests = Requests(plan, token)
        owned = owned_journeys(plan) if any(s.kind.startswith("put") for s in plan.scenarios) else []
        clients = [
            Client(n, connection, requests, owned[n] if owned else [])
            for n, connection in enumerate(connections)
        ]
        if owned:
            await asyncio.gather(*(c.prepare() for c in clients))
        for scenario in plan.scenarios:
            if scenario.kind == "list":
                requests.use_page(scenario.page, scenario.query)
            emit(await _scenario(plan, clients, scenario, spread))
    finally:
        for connection in connections:
            connection.close()


def main() -> int:
    plan = Plan.from_json(sys.stdin.buffer.read())
    out = sys.stdout

    def emit(result: Result) -> None:
        out.write(orjson.dumps(asdict(result)).decode() + "\n")
        out.flush()

    try:
        import uvloop

        uvloop.run(run(plan, emit))
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        asyncio.run(run(plan, emit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
