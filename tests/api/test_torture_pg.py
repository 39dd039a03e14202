"""Four `journeystack serve` processes on one PostgreSQL database, 64 clients for 20 seconds (and
at least 200 acknowledged PUTs and 10 publishes):
read-modify-PUT loops on shared journeys, creates and new versions. No update is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journeystack.storage.sql.store import SqlStore
from tests.pg import PostgresServer
from tests.scaleout import Load, prepare, servers, verify, wait_for_operations

SERVERS = 4
CLIENTS = 64
SECONDS = 20
SHARED_KEYS = [f"shared-{n}" for n in range(12)]


@pytest.mark.slow
def test_many_clients_on_four_servers_lose_no_update(postgres: PostgresServer, tmp_path: Path) -> None:
    name = postgres.create_database("torture")
    url = postgres.url(name)
    store = SqlStore(url, pool_size=2)
    try:
        with servers(url, SERVERS, tmp_path) as started:  # their four migrations race, too
            shared = prepare(started[0].url, SHARED_KEYS)
            load = Load([s.url for s in started], SHARED_KEYS, clients=CLIENTS, store=store)
            load.start()
            try:
                # At least SECONDS of load, and enough of it, however slow the machine is today.
                load.run_until(
                    lambda log: log.count("put", 200) >= 200 and len(log.operations) >= 10,
                    at_least=SECONDS,
                    at_most=600,
                )
            finally:
                load.stop()
            assert wait_for_operations(store) == 0, "a publish never finished"
            counts = verify(load.log, store, shared=shared)
            summary = load.log.summary() | counts
            (tmp_path / "summary.json").write_text(json.dumps(summary, indent=2))
            assert not load.log.transport_errors, summary
            assert counts["lost_answers_that_committed"] == 0
            for server in started:
                assert server.process.poll() is None, server.log_tail()
    finally:
        store.dispose()
        postgres.drop_database(name)
