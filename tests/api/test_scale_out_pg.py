"""Many server processes on one database: migrations, tokens and creates that race across processes,
and `journeystack serve --workers N`."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import journeys
from tests.pg import PostgresServer
from tests.scaleout import EVENT_KEY, LOAD_MID, ServerProcess, prepare, servers
from tests.support import BASE, DRAFT_EXISTS_MESSAGE, Api, assert_error, publish, publishable_journey

DRAFT_EXISTS = 30004


@pytest.fixture(scope="module")
def two_servers(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
) -> Iterator[tuple[list[ServerProcess], str]]:
    """Two `journeystack serve` processes on one new PostgreSQL database (both migrate it)."""
    name = postgres.create_database("two")
    url = postgres.url(name)
    with servers(url, 2, tmp_path_factory.mktemp("two")) as started:
        yield started, url
    postgres.drop_database(name)


def _api(client: httpx.Client, url: str) -> Api:
    return Api(client=client, mid=LOAD_MID, database_url=url).authenticate()


def test_migrations_racing_in_four_processes_end_at_head(postgres: PostgresServer) -> None:
    name = postgres.create_database("migrate")
    url = postgres.url(name)
    command = [sys.executable, "-m", "journeystack", "db", "upgrade", "--database-url", url]
    racing = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(4)]
    outputs = [process.communicate(timeout=120)[0].decode(errors="replace") for process in racing]
    assert [process.returncode for process in racing] == [0] * 4, outputs
    store = SqlStore(url, pool_size=1)
    try:
        assert not store.pending_migrations()
    finally:
        store.dispose()
        postgres.drop_database(name)


def test_a_token_from_one_process_is_accepted_by_another(
    two_servers: tuple[list[ServerProcess], str],
) -> None:
    (first, second), url = two_servers
    with httpx.Client(base_url=first.url) as a, httpx.Client(base_url=second.url) as b:
        on_a = _api(a, url)
        on_b = Api(client=b, mid=LOAD_MID, database_url=url, token=on_a.token, headers=on_a.headers)
        created = on_b.create("token-travels")
        assert on_a.get(f"{BASE}/key:token-travels").json() == created
        assert on_b.get(BASE).status_code == 200


def _stored_versions(url: str, key: str) -> list[int]:
    store = SqlStore(url, pool_size=1)
    try:
        with store.engine.connect() as connection:
            return list(
                connection.execute(
                    select(journeys.c.version)
                    .where(journeys.c.mid == LOAD_MID, journeys.c.key == key)
                    .order_by(journeys.c.version)
                ).scalars()
            )
    finally:
        store.dispose()


def _race(clients: list[Api], body: dict[str, Any], threads: int = 16) -> list[httpx.Response]:
    barrier = threading.Barrier(threads)

    def attempt(n: int) -> httpx.Response:
        barrier.wait()
        return clients[n % len(clients)].post(BASE, json=body)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(attempt, range(threads)))


def test_creates_of_one_key_racing_in_two_processes_store_one_version(
    two_servers: tuple[list[ServerProcess], str],
) -> None:
    (first, second), url = two_servers
    with (
        httpx.Client(base_url=first.url, timeout=30) as a,
        httpx.Client(base_url=second.url, timeout=30) as b,
    ):
        clients = [_api(a, url), _api(b, url)]
        keys = [f"race-{n}" for n in range(6)]
        prepare(first.url, [])  # the event definition the publishable journeys are triggered by
        for key in keys:
            responses = _race(clients, {"key": key, "name": key, "workflowApiVersion": 1.0})
            winners = [r for r in responses if r.status_code == 200]
            assert len(winners) == 1, [r.status_code for r in responses]
            for loser in (r for r in responses if r.status_code != 200):
                assert_error(loser, 409, DRAFT_EXISTS, DRAFT_EXISTS_MESSAGE)
            assert _stored_versions(url, key) == [1]
        # The same race for version 2, once version 1 is published.
        key = "race-version-two"
        created = clients[0].post(BASE, json=_publishable(key)).json()
        assert publish(clients[0], created)["status"] == "PublishCompleted"
        responses = _race(clients, _publishable(key))
        assert sorted(r.status_code for r in responses) == [200] + [409] * 15
        assert {r.json()["errorcode"] for r in responses if r.status_code == 409} == {DRAFT_EXISTS}
        assert _stored_versions(url, key) == [1, 2]


def _publishable(key: str) -> dict[str, Any]:
    return publishable_journey(key, EVENT_KEY)


def _worker_processes(parent: int) -> list[int]:
    """The uvicorn worker processes of a `serve --workers N` process (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_serve_with_workers_runs_that_many_processes_on_one_store(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "postgres":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        name = postgres.create_database("workers")
        url = postgres.url(name)
    else:
        url = f"sqlite:///{tmp_path / 'journeystack.db'}"
    with servers(url, 1, tmp_path, args=["--workers", "3"]) as [server]:
        deadline = time.monotonic() + 60
        while len(_worker_processes(server.process.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_worker_processes(server.process.pid)) == 3, server.log_tail()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            api = _api(client, url)
            stored = api.create("shared")
            # Tokens, journeys and the compare-and-swap are the database's: whichever worker
            # answers, of 24 PUTs from the same modifiedDate exactly one wins.
            barrier = threading.Barrier(24)

            def attempt(n: int) -> int:
                body = {**stored, "name": f"writer {n}"}
                barrier.wait()
                return api.put(BASE, json=body).status_code

            with ThreadPoolExecutor(24) as pool:
                statuses = sorted(pool.map(attempt, range(24)))
            assert statuses == [200] + [400] * 23
            assert api.get(f"{BASE}/key:shared").json()["name"].startswith("writer ")
    if backend == "postgres":
        postgres.drop_database(name)
