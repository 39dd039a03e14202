"""Fixtures of the compatibility suite: the pinned clients and a real journeystack process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.compat.clients import Clients, install_clients
from tests.support import Api, running_server

# Publish/validate finish before mcdev's first status poll (1 s after the request).
SERVER_ENV = {
    "JOURNEYSTACK_OPERATION_DELAY_SECONDS": "0.2",
    "JOURNEYSTACK_WORKER_POLL_SECONDS": "0.05",
    "JOURNEYSTACK_ACCESS_LOG": "true",
}


@pytest.fixture(scope="session")
def clients() -> Clients:
    """mcdev and sfmc-sdk at the pinned versions (installed from npm on first use, then cached)."""
    return install_clients()


@dataclass
class CompatServer:
    base_url: str
    api: Api
    log: Path


@pytest.fixture
def compat_server(tmp_path: Path) -> Iterator[CompatServer]:
    """A `journeystack serve` process on a SQLite file of its own, and an API client for MID 1000001."""
    url = f"sqlite:///{tmp_path / 'journeystack.db'}"
    log = tmp_path / "server.log"
    with (
        running_server(url, env=SERVER_ENV, log_path=log) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        yield CompatServer(base_url, Api(client=client, mid=1000001, database_url=url).authenticate(), log)
