"""Fixtures: every API test runs four times, in-process and against a real `journeystack serve`
process, each on SQLite and on PostgreSQL.

In-process tests build the app in the test process (uvicorn in a thread) on a database of their
own: a fresh SQLite file, or on PostgreSQL a migrated database emptied for it (tests/pg.py starts
a throwaway cluster per test session). A real server is shared by a test session (start-up
costs a second); each test gets its own business unit (MID) on it, and tokens see only their own
MID, so tests cannot see each other's journeys.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from journeystack.storage.sql.store import SqlStore
from tests.pg import PostgresServer, postgres_server
from tests.support import CLIENT_ID, CLIENT_SECRET, Api, app_in_thread, migrated_sqlite_url, running_server

# Publish/validate stay "in process" briefly, so polling is exercised without slowing the suite.
FAST_OPERATIONS = {"operation_delay_seconds": 0.05, "worker_poll_seconds": 0.02}
FAST_OPERATIONS_ENV = {f"JOURNEYSTACK_{name.upper()}": str(value) for name, value in FAST_OPERATIONS.items()}
SERVER_MIDS = range(2_000_001, 2_004_001)
_next_mid = itertools.count(SERVER_MIDS.start)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real server process on SQLite, whose package may act for many business units."""
    directory = tmp_path_factory.mktemp("server")
    with _server_process(directory, f"sqlite:///{directory / 'journeystack.db'}") as running:
        yield running


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL server of this session: a throwaway cluster, or $JOURNEYSTACK_TEST_DATABASE_URL."""
    with postgres_server() as running:
        yield running


@pytest.fixture(scope="session")
def postgres_database(postgres: PostgresServer) -> Iterator[str]:
    """A migrated database the in-process PostgreSQL tests take turns on (see `postgres_url`)."""
    name = postgres.create_database("inprocess")
    migrated = SqlStore(postgres.url(name))
    migrated.upgrade()
    migrated.dispose()
    yield name
    postgres.drop_database(name)


@pytest.fixture
def postgres_url(postgres: PostgresServer, postgres_database: str) -> str:
    """The URL of an empty, migrated PostgreSQL database for this test alone (emptied first)."""
    postgres.empty_database(postgres_database)
    return postgres.url(postgres_database)


@pytest.fixture(scope="session")
def server_on_postgres(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
) -> Iterator[tuple[str, str]]:
    """A real server process on PostgreSQL (it migrates its new, empty database when it starts),
    whose package may act for many business units."""
    name = postgres.create_database("server")
    with _server_process(tmp_path_factory.mktemp("pgserver"), postgres.url(name)) as running:
        yield running
    postgres.drop_database(name)


@contextlib.contextmanager
def _server_process(directory: Path, url: str) -> Iterator[tuple[str, str]]:
    packages = directory / "packages.json"
    packages.write_text(
        json.dumps([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": list(SERVER_MIDS)}])
    )
    env = {
        "JOURNEYSTACK_PACKAGES_FILE": str(packages),
        "JOURNEYSTACK_ACCESS_LOG": "false",
        **FAST_OPERATIONS_ENV,
    }
    with running_server(url, env=env, log_path=directory / "server.log") as base_url:
        yield base_url, url


@pytest.fixture(params=["inprocess", "server", "postgres", "postgres-server"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    if request.param in ("inprocess", "postgres"):
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
        else:
            url = migrated_sqlite_url(tmp_path / "journeystack.db")
        packages = [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [1000001, 1000002]}]
        app = create_app(
            load_settings(database_url=url, access_log=False, packages=packages, **FAST_OPERATIONS)
        )
        with app_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            yield Api(client=client, mid=1000001, other_mid=1000002, database_url=url).authenticate()
    else:
        running = "server" if request.param == "server" else "server_on_postgres"
        base_url, url = request.getfixturevalue(running)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            mid, other_mid = next(_next_mid), next(_next_mid)
            yield Api(client=client, mid=mid, other_mid=other_mid, database_url=url).authenticate()


@pytest.fixture
def store(api: Api) -> Iterator[SqlStore]:
    """Direct access to the API's database, to arrange states no endpoint reaches yet."""
    sql = SqlStore(api.database_url)
    yield sql
    sql.dispose()
