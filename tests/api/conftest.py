"""Fixtures of the control-plane tests (tests/api/test_control_plane*.py).

`cp` runs a test in-process on SQLite, in-process on PostgreSQL, and against a real `journeystack
serve` process with a known admin token. That server is shared by the tests of one xdist worker,
which run one after another, so each starts by emptying the store, the fault rules and the journal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from tests.control_plane import (
    ADMIN_TOKEN,
    FAST_OPERATIONS,
    ControlCase,
    make_case,
    packages_json,
    server_env,
)
from tests.support import app_in_thread, migrated_sqlite_url, running_server


@pytest.fixture(scope="session")
def control_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    directory = tmp_path_factory.mktemp("control")
    url = f"sqlite:///{directory / 'journeystack.db'}"
    with running_server(url, env=server_env(directory), log_path=directory / "server.log") as base_url:
        yield base_url, url


@pytest.fixture(params=["inprocess", "postgres", "server"])
def cp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ControlCase]:
    if request.param == "server":
        base_url, url = request.getfixturevalue("control_server")
        with httpx.Client(base_url=base_url, timeout=30) as client:
            case = make_case("server", client, base_url, url)
            case.admin.clean()
            yield case
            case.admin.ok("DELETE", "/faults")
        return
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = migrated_sqlite_url(tmp_path / "journeystack.db")
    settings = load_settings(
        database_url=url,
        access_log=False,
        packages=packages_json(),
        admin_token=ADMIN_TOKEN,
        **FAST_OPERATIONS,
    )
    with (
        app_in_thread(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        yield make_case(request.param, client, base_url, url)
