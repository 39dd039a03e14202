"""Several `journeystack serve` processes on one database, a mixed load of many clients on them, and
the checks that nothing was lost: the machinery of the scale-out, torture and crash tests.

The load is read-modify-PUT loops on a shared set of journeys, mixed with creates and with new
versions (publish the latest, then POST the key again). Every request is logged; afterwards the
log is checked against what the database holds (`verify`). A request whose connection broke (its
server was killed) has an unknown outcome: the checks allow it to have committed or not.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from journeystack.domain.dates import parse_canonical
from journeystack.domain.journey import Status
from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import audit_entries, journeys, operations
from tests.support import BASE, CLIENT_ID, CLIENT_SECRET, free_port, publishable_journey, token_body

LOAD_MID = 3_000_001
EVENT_KEY = "APIEvent-scaleout"
SERVER_ENV = {
    "JOURNEYSTACK_ACCESS_LOG": "false",
    "JOURNEYSTACK_PACKAGES": f'[{{"client_id": "{CLIENT_ID}", "client_secret": "{CLIENT_SECRET}", "mids": [{LOAD_MID}]}}]',
    "JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0.05",
    "JOURNEYSTACK_WORKER_POLL_SECONDS": "0.05",
    # A publish claimed by a killed process is taken over once its lease runs out.
    "JOURNEYSTACK_OPERATION_LEASE_SECONDS": "3",
}
# What each kind of request may answer besides 200: (status, errorcode).
EXPECTED_REFUSALS = {
    "put": {(400, 30000), (409, 409)},  # stale modifiedDate; not Draft or a publish in flight
    "create": {(409, 30004)},  # the key's latest version is still a Draft
    "publish": {(409, 30002)},  # not publishable from its status, or a publish already in flight
}


@dataclass
class ServerProcess:
    index: int
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback by the process itself."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


@contextlib.contextmanager
def servers(
    database_url: str,
    count: int,
    directory: Path,
    *,
    env: dict[str, str] | None = None,
    args: Sequence[str] = (),
) -> Iterator[list[ServerProcess]]:
    """Start `count` servers on one database together (their migrations race), wait until each
    answers, and stop them afterwards."""
    started: list[ServerProcess] = []
    full_env = {**os.environ, **SERVER_ENV, **(env or {})}
    try:
        for index in range(count):
            port = free_port()
            log_path = directory / f"server-{index}.log"
            command = [sys.executable, "-m", "journeystack", "serve", "--host", "127.0.0.1", "--port", str(port),
                       "--database-url", database_url, *args]  # fmt: skip
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    command, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=directory
                )
            started.append(ServerProcess(index, f"http://127.0.0.1:{port}", process, log_path))
        for server in started:
            _wait_until_serving(server)
        yield started
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.terminate()
        for server in started:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def _wait_until_serving(server: ServerProcess) -> None:
    deadline = time.monotonic() + 60
    # One client for every poll (tests/support.py, running_server: a new one loads the CA bundle).
    with httpx.Client(timeout=2) as probe:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"server {server.index} exited with {server.process.returncode}:\n{server.log_tail()}"
                )
            try:
                if probe.get(server.url + "/openapi.json").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {server.index} did not start within 60 s:\n{server.log_tail()}")
            time.sleep(0.05)


def prepare(url: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The event definition the journeys are triggered by, and version 1 of each shared journey."""
    with httpx.Client(base_url=url, timeout=30) as client:
        token = client.post("/v2/token", json=token_body(LOAD_MID)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        event = {
            "type": "APIEvent",
            "name": EVENT_KEY,
            "eventDefinitionKey": EVENT_KEY,
            "dataExtensionId": "de-1",
        }
        response = client.post("/interaction/v1/eventDefinitions", json=event, headers=headers)
        assert response.status_code == 200, response.text
        created = []
        for key in keys:
            response = client.post(BASE, json=_journey(key, "initial"), headers=headers)
            assert response.status_code == 200, response.text
            created.append(response.json())
        return created


def _journey(key: str, marker: str) -> dict[str, Any]:
    return {**publishable_journey(key, EVENT_KEY), "description": marker}


@dataclass(frozen=True, slots=True)
class Attempt:
    """One logged write. `status` None: the connection broke, so it may or may not have committed."""

    kind: str
    key: str
    server: int
    status: int | None
    errorcode: int | None = None
    version: int | None = None
    seen: str | None = None
    returned: str | None = None
    marker: str = ""
    definition_id: str | None = None


@dataclass
class LoadLog:
    attempts: list[Attempt] = field(default_factory=list)
    reads: Counter[int] = field(default_factory=Counter)  # status -> count
    transport_errors: Counter[int] = field(default_factory=Counter)  # server index -> count
    served_after_kill: Counter[int] = field(default_factory=Counter)  # server index -> answered requests
    unexpected: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)  # statusUrls of publishes started
    double_published: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, status: int | None) -> int:
        return sum(1 for a in self.attempts if a.kind == kind and a.status == status)

    def summary(self) -> dict[str, Any]:
        kinds = Counter((a.kind, a.status, a.errorcode) for a in self.attempts)
        return {
            "requests": sum(kinds.values()) + sum(self.reads.values()),
            "writes": {f"{k} {s} {c}": n for (k, s, c), n in sorted(kinds.items(), key=str)},
            "reads": dict(self.reads),
            "transport_errors": dict(self.transport_errors),
            "served_after_kill": dict(self.served_after_kill),
            "publishes_started": len(self.operations),
        }


class _Unreachable(Exception):
    """Every server this client still believes alive refused the connection."""


# Plain HTTP, but every httpx.Client builds a TLS context unless given one (~20 ms each, x 256).
_TLS = ssl.create_default_context()


class LoadClient:
    """One client: its own connections to every server, its own token, its own random choices."""

    def __init__(
        self, number: int, urls: Sequence[str], keys: Sequence[str], log: LoadLog, state: LoadState
    ) -> None:
        self.number = number
        self.keys = keys
        self.log = log
        self.state = state
        self.rng = random.Random(number)
        self.sequence = 0
        limits = httpx.Limits(keepalive_expiry=2.0)  # close idle connections before uvicorn does (5 s)
        self.http = [httpx.Client(base_url=url, timeout=30, limits=limits, verify=_TLS) for url in urls]
        self.alive = set(range(len(urls)))
        self.headers: dict[str, str] = {}

    def close(self) -> None:
        for client in self.http:
            client.close()

    def _send(self, method: str, path: str, body: Any = None) -> tuple[int, httpx.Response | None]:
        """Send to a random live server; (server, None) if its connection broke."""
        if not self.alive:
            raise _Unreachable()
        server = self.rng.choice(sorted(self.alive))
        try:
            response = self.http[server].request(method, path, json=body, headers=self.headers)
        except httpx.TransportError:
            with self.log.lock:
                self.log.transport_errors[server] += 1
            self.alive.discard(server)
            return server, None
        if self.state.killed is not None:
            with self.log.lock:
                self.log.served_after_kill[server] += 1
        if response.status_code >= 500:
            self._unexpected(method, path, server, response)
        return server, response

    def _read(self, path: str) -> httpx.Response:
        """A GET, retried on another server when a connection breaks."""
        while True:
            _, response = self._send("GET", path)
            if response is not None:
                with self.log.lock:
                    self.log.reads[response.status_code] += 1
                return response

    def _unexpected(self, method: str, path: str, server: int, response: httpx.Response) -> None:
        with self.log.lock:
            self.log.unexpected.append(
                f"{method} {path} on {server}: {response.status_code} {response.text[:300]}"
            )

    def _record(self, attempt: Attempt, response: httpx.Response | None, path: str) -> None:
        if response is not None and response.status_code != 200:
            refusal = (response.status_code, attempt.errorcode)
            if refusal not in EXPECTED_REFUSALS[attempt.kind]:
                self._unexpected(attempt.kind, path, attempt.server, response)
        with self.log.lock:
            self.log.attempts.append(attempt)

    def authenticate(self) -> None:
        while True:
            _, response = self._send("POST", "/v2/token", token_body(LOAD_MID))
            if response is not None:
                assert response.status_code == 200, response.text
                self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
                return

    def run(self) -> None:
        try:
            self.authenticate()
            while not self.state.stopping.is_set() and not self.state.failed.is_set():
                roll = self.rng.random()
                if roll < 0.80:
                    self.update(self.rng.choice(self.keys))
                elif roll < 0.90:
                    self.create(f"c{self.number}-{self.sequence}")
                else:
                    self.new_version(self.rng.choice(self.keys))
        except _Unreachable:
            self.state.failed.set()
            with self.log.lock:
                self.log.unexpected.append(f"client {self.number}: no server left to talk to")
        except Exception as error:  # a bug in the test itself must fail it, not hang it
            self.state.failed.set()
            with self.log.lock:
                self.log.unexpected.append(f"client {self.number}: {error!r}")
        finally:
            self.close()

    def _marker(self) -> str:
        self.sequence += 1
        return f"client {self.number} write {self.sequence}"

    def update(self, key: str) -> None:
        """Read the latest version; if it is a Draft, PUT a change made from what was read."""
        current = self._read(f"{BASE}/key:{key}")
        if current.status_code != 200:
            self._unexpected("GET", key, -1, current)
            return
        seen = current.json()
        if seen["status"] != Status.DRAFT.value:
            return
        marker = self._marker()
        body = {**seen, "name": f"Journey {key} by {self.number}", "description": marker}
        server, response = self._send("PUT", BASE, body)
        attempt = Attempt(
            "put", key, server, None, version=seen["version"], seen=seen["modifiedDate"], marker=marker
        )
        if response is not None:
            payload = response.json()
            attempt = Attempt("put", key, server, response.status_code, payload.get("errorcode"),
                              seen["version"], seen["modifiedDate"], payload.get("modifiedDate"), marker)  # fmt: skip
        self._record(attempt, response, BASE)

    def create(self, key: str) -> None:
        marker = self._marker()
        server, response = self._send("POST", BASE, _journey(key, marker))
        attempt = Attempt("create", key, server, None, marker=marker)
        if response is not None:
            payload = response.json()
            attempt = Attempt("create", key, server, response.status_code, payload.get("errorcode"),
                              payload.get("version"), None, payload.get("modifiedDate"), marker,
                              payload.get("definitionId"))  # fmt: skip
        self._record(attempt, response, BASE)

    def new_version(self, key: str) -> None:
        """Publish the latest version if it is a Draft, then POST the key again (version n+1)."""
        latest = self._read(f"{BASE}/key:{key}").json()
        if latest["status"] == Status.DRAFT.value:
            path = f"{BASE}/publishAsync/{latest['id']}?versionNumber={latest['version']}"
            server, response = self._send("POST", path, {})
            attempt = Attempt("publish", key, server, None, version=latest["version"])
            if response is not None:
                payload = response.json()
                attempt = Attempt("publish", key, server, response.status_code, payload.get("errorcode"),
                                  latest["version"])  # fmt: skip
                if response.status_code == 200:
                    with self.log.lock:
                        self.log.operations.append(payload["statusUrl"])
                    self._wait_for(payload["statusUrl"])
            self._record(attempt, response, path)
        self.create(key)

    def _wait_for(self, status_url: str) -> None:
        """Poll a publish until it finishes, for a while (not past the load's end): a publish
        claimed by a killed process finishes only when its lease runs out, and the tests wait
        for those at the end (`wait_for_operations`)."""
        give_up = time.monotonic() + 10
        while time.monotonic() < give_up and not self.state.stopping.is_set():
            response = self._read(status_url)
            if response.status_code != 200 or not response.json()["status"].endswith("InProcess"):
                return
            time.sleep(0.05)


@dataclass
class LoadState:
    killed: int | None = None  # the index of the server killed under load, once it is
    failed: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)


class Load:
    """`clients` client threads on `urls` until stopped, and a watcher for double Published versions."""

    def __init__(self, urls: Sequence[str], keys: Sequence[str], *, clients: int, store: SqlStore) -> None:
        self.log = LoadLog()
        self.state = LoadState()
        self._clients = [LoadClient(n, urls, keys, self.log, self.state) for n in range(clients)]
        self._store = store
        self._stop_watching = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [threading.Thread(target=c.run, daemon=True) for c in self._clients]
        self._threads.append(
            threading.Thread(
                target=watch_published, args=(self._store, self.log, self._stop_watching), daemon=True
            )
        )
        for thread in self._threads:
            thread.start()

    def run_until(self, done: Callable[[LoadLog], bool], *, at_least: float, at_most: float) -> None:
        """Let the load run for `at_least` seconds and until `done(log)`; fail after `at_most`.

        What the tests assert depends on work done, not on time: on a starved machine the load
        simply runs longer."""
        started = time.monotonic()
        while True:
            assert not self.state.failed.is_set(), self.log.unexpected[:20]
            with self.log.lock:
                if time.monotonic() - started >= at_least and done(self.log):
                    return
                assert time.monotonic() - started < at_most, f"too little progress: {self.log.summary()}"
            time.sleep(0.05)

    def server_killed(self, index: int) -> None:
        self.state.killed = index

    def stop(self) -> None:
        """Let every client finish the request it is in, then stop them and the watcher."""
        self.state.stopping.set()
        *clients, watcher = self._threads
        for thread in clients:
            thread.join(timeout=300)
            assert not thread.is_alive(), "a load client did not finish"
        self._stop_watching.set()
        watcher.join(timeout=30)


def watch_published(store: SqlStore, log: LoadLog, stop: threading.Event) -> None:
    """Until `stop`: look, again and again, for a journey with two Published versions at once."""
    query = (
        select(journeys.c.key)
        .where(journeys.c.mid == LOAD_MID, journeys.c.status == Status.PUBLISHED.value)
        .group_by(journeys.c.key)
        .having(func.count() > 1)
    )
    while not stop.wait(0.02):
        with store.engine.connect() as connection:
            doubled = connection.execute(query).scalars().all()
        if doubled:
            with log.lock:
                log.double_published.extend(doubled)


def wait_for_operations(store: SqlStore, timeout: float = 60) -> int:
    """Wait until no publish is in process (a dead process's claim is taken over after its lease);
    returns how many are still in process when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while True:
        with store.engine.connect() as connection:
            pending = connection.execute(
                select(func.count()).select_from(operations).where(operations.c.state == "InProcess")
            ).scalar_one()
        if pending == 0 or time.monotonic() > deadline:
            return int(pending)
        time.sleep(0.1)


def verify(log: LoadLog, store: SqlStore, *, shared: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Everything the clients were told happened is in the database, once, in order.

    Raises AssertionError naming the first journey that breaks a rule. Returns counts for the report.
    """
    assert not log.unexpected, log.unexpected[:20]
    assert not log.double_published, f"two Published versions at once: {sorted(set(log.double_published))}"
    with store() as uow:
        stored = {}
        keys = {a.key for a in log.attempts} | {j["key"] for j in shared}
        for key in keys:
            versions = uow.journeys.versions(LOAD_MID, key=key)
            assert [v.version for v in versions] == list(range(1, len(versions) + 1)), (key, versions)
            assert sum(v.status is Status.PUBLISHED for v in versions) <= 1, key
            for v in versions:
                stored[(key, v.version)] = v
    with store.engine.connect() as connection:
        modifications = Counter(
            {(row.journey_id, row.version): row.n for row in connection.execute(
                select(audit_entries.c.journey_id, audit_entries.c.version, func.count().label("n"))
                .where(audit_entries.c.mid == LOAD_MID, audit_entries.c.action == "Modify")
                .group_by(audit_entries.c.journey_id, audit_entries.c.version)
            )}
        )  # fmt: skip

    created: dict[tuple[str, int], str | None] = {(j["key"], 1): j["modifiedDate"] for j in shared}
    first_marker: dict[tuple[str, int], str] = {(j["key"], 1): j["description"] for j in shared}
    for a in log.attempts:
        if a.kind == "create" and a.status == 200:
            assert a.version is not None
            version = stored.get((a.key, a.version))
            assert version is not None and version.definition_id == a.definition_id, f"create of {a} was lost"
            created[(a.key, a.version)] = a.returned
            first_marker[(a.key, a.version)] = a.marker

    puts: dict[tuple[str, int], list[Attempt]] = defaultdict(list)
    unknown: dict[tuple[str, int], list[Attempt]] = defaultdict(list)
    for a in log.attempts:
        if a.kind == "put" and a.version is not None:
            if a.status == 200:
                puts[(a.key, a.version)].append(a)
            elif a.status is None:
                unknown[(a.key, a.version)].append(a)
    unknown_creates = {a.key for a in log.attempts if a.kind == "create" and a.status is None}

    bridged = 0
    for version_key, version in stored.items():
        wins = sorted(puts.get(version_key, []), key=lambda a: parse_canonical(a.returned or "") or 0)
        maybe = unknown.get(version_key, [])
        seen_values = [w.seen for w in wins]
        assert len(set(seen_values)) == len(seen_values), f"{version_key}: two PUTs won from one state"
        if version_key not in created:
            # Created by a POST whose answer was lost: its first state is unknown to the clients.
            assert version_key[0] in unknown_creates, f"{version_key} was stored, but no client created it"
            continue
        previous = created[version_key]
        for win in wins:
            if win.seen != previous:
                # Only a PUT whose answer was lost (its server killed) may have moved the journey on.
                assert any(u.seen == previous for u in maybe), f"{version_key}: lost update before {win}"
                bridged += 1
            previous = win.returned
        expected = wins[-1].marker if wins else first_marker[version_key]
        if version.definition.description != expected:
            assert any(u.seen == previous and u.marker == version.definition.description for u in maybe), (
                f"{version_key}: stored {version.definition.description!r}, last acknowledged {expected!r}"
            )
            bridged += 1
        elif version.status is Status.DRAFT:
            assert parse_canonical(previous or "") == version.modified_ms, version_key
        if not maybe:
            recorded = modifications.get((version.id, version.version), 0)
            assert recorded == len(wins), f"{version_key}: {len(wins)} PUTs answered 200, {recorded} stored"
    return {"versions": len(stored), "lost_answers_that_committed": bridged}
