"""kill -9 of one of four servers under load: the others keep serving, and every answered write
is still in the database (a write whose answer the kill swallowed may or may not have committed)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from journeystack.storage.sql.store import SqlStore
from tests.pg import PostgresServer
from tests.scaleout import LOAD_MID, Load, prepare, servers, verify, wait_for_operations
from tests.support import token_body

SERVERS = 4
CLIENTS = 64
SECONDS_AFTER_KILL = 8
SERVED_AFTER_KILL = 200
VICTIM = 1
SHARED_KEYS = [f"shared-{n}" for n in range(12)]


@pytest.mark.slow
def test_a_server_killed_under_load_loses_nothing_committed(postgres: PostgresServer, tmp_path: Path) -> None:
    name = postgres.create_database("crash")
    url = postgres.url(name)
    store = SqlStore(url, pool_size=2)
    try:
        with servers(url, SERVERS, tmp_path) as started:
            shared = prepare(started[0].url, SHARED_KEYS)
            load = Load([s.url for s in started], SHARED_KEYS, clients=CLIENTS, store=store)
            load.start()
            survivors = [s for s in started if s.index != VICTIM]
            try:
                load.run_until(lambda log: log.count("put", 200) >= 100, at_least=3, at_most=300)
                load.server_killed(VICTIM)
                started[VICTIM].kill()
                # The others go on serving: each answers many requests after the kill.
                load.run_until(
                    lambda log: all(log.served_after_kill[s.index] >= SERVED_AFTER_KILL for s in survivors),
                    at_least=SECONDS_AFTER_KILL,
                    at_most=300,
                )
            finally:
                load.stop()
            # A publish the dead process had claimed is taken over when its lease (3 s) runs out.
            assert wait_for_operations(store) == 0, "a publish never finished"
            counts = verify(load.log, store, shared=shared)
            summary = load.log.summary() | counts
            (tmp_path / "summary.json").write_text(json.dumps(summary, indent=2))
            assert started[VICTIM].process.returncode == -9
            assert set(load.log.transport_errors) <= {VICTIM}, summary
            for server in survivors:
                assert server.process.poll() is None, server.log_tail()
                with httpx.Client(base_url=server.url, timeout=30) as client:
                    assert client.post("/v2/token", json=token_body(LOAD_MID)).status_code == 200
    finally:
        store.dispose()
        postgres.drop_database(name)
