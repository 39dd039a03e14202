"""Fixtures: every API test runs twice, in-process and against a real `journeystack serve` process.

In-process tests build the app in the test process (uvicorn in a thread) on a fresh SQLite file each. The real server is shared by a test session (start-up
costs a second); each test gets its own business unit (MID) on it, and tokens see only their own
MID, so tests cannot see each other's journeys.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from journeystack.storage.sql.store import SqlStore
from tests.support import CLIENT_ID, CLIENT_SECRET, Api, app_in_thread, running_server

SERVER_MIDS = range(2_000_001, 2_004_001)
_next_mid = itertools.count(SERVER_MIDS.start)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real server process on SQLite, whose package may act for many business units."""
    directory = tmp_path_factory.mktemp("server")
    packages = directory / "packages.json"
    packages.write_text(
        json.dumps([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": list(SERVER_MIDS)}])
    )
    url = f"sqlite:///{directory / 'journeystack.db'}"
    env = {"JOURNEYSTACK_PACKAGES_FILE": str(packages), "JOURNEYSTACK_ACCESS_LOG": "false"}
    with running_server(url, env=env, log_path=directory / "server.log") as base_url:
        yield base_url, url


@pytest.fixture(params=["inprocess", "server"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    if request.param == "inprocess":
        url = f"sqlite:///{tmp_path / 'journeystack.db'}"
        packages = [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [1000001, 1000002]}]
        app = create_app(load_settings(database_url=url, access_log=False, packages=packages))
        with app_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
            yield Api(client=client, mid=1000001, other_mid=1000002, database_url=url).authenticate()
    else:
        base_url, url = request.getfixturevalue("server")
        with httpx.Client(base_url=base_url, timeout=30) as client:
            mid, other_mid = next(_next_mid), next(_next_mid)
            yield Api(client=client, mid=mid, other_mid=other_mid, database_url=url).authenticate()


@pytest.fixture
def store(api: Api) -> Iterator[SqlStore]:
    """Direct access to the API's database, to arrange states no endpoint reaches yet."""
    sql = SqlStore(api.database_url)
    yield sql
    sql.dispose()
