"""kill -9 of one of two PostgreSQL server processes while they make custom-activity calls: the
other takes the dead one's calls over once their leases run out. No contact is lost, every call is
made at least once, each answer is applied once, and the duplicates are few and carry the same ids."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import engine_calls, journey_history, journey_instances
from tests.control_plane import ADMIN_TOKEN, JWT_SECRET, Admin
from tests.pg import PostgresServer
from tests.receiver import by_contact, running_receiver
from tests.runtime_support import Clock, event_definition, fire_many, journey, published, wait
from tests.scaleout import servers
from tests.support import CLIENT_ID, CLIENT_SECRET, Api

MID = 1000001
KEY = "APIEvent-callcrash"
CONTACTS = 600
CONCURRENCY = 20
PATH = [("TRIGGER", "MetCriteria"), ("REST-1", "Complete"), ("W-1", "Waiting")]


@pytest.mark.slow
def test_a_server_killed_while_making_calls_loses_no_contact(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    name = postgres.create_database("callcrash")
    url = postgres.url(name)
    env = {
        "JOURNEYSTACK_PACKAGES": json.dumps([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                              "mids": [MID], "jwt_signing_secret": JWT_SECRET}]),
        "JOURNEYSTACK_ADMIN_TOKEN": ADMIN_TOKEN,
        # A dead process's calls are made again 2 s after their 1 s timeout could have run out.
        "JOURNEYSTACK_CALL_LEASE_SECONDS": "2",
    }  # fmt: skip
    store = SqlStore(url, pool_size=2)
    try:
        with running_receiver() as receiver, servers(url, 2, tmp_path, env=env) as (victim, survivor):
            receiver.delay = 0.03  # so that calls are in flight when the kill comes
            with (
                httpx.Client(base_url=victim.url, timeout=300) as a,
                httpx.Client(base_url=survivor.url, timeout=300) as b,
            ):
                api = Api(client=a, mid=MID, database_url=url).authenticate()
                Clock(Admin(b)).start_at()
                event_definition(api, KEY)
                rest = {
                    "key": "REST-1", "name": "REST-1", "type": "REST", "outcomes": [{"key": "r", "next": "W-1"}],
                    "arguments": {"execute": {"url": f"{receiver.url}/execute", "useJwt": True, "timeout": 1000,
                                              "concurrentRequests": CONCURRENCY,
                                              "inArguments": [{"contactKey": "{{Contact.Key}}"}]}},
                }  # fmt: skip
                published(api, journey("callcrash", KEY, [rest, wait("W-1", 1, "DAYS", None)]))
                fire_many(api, KEY, [(f"c{i:04d}", {}) for i in range(CONTACTS)])
                deadline = time.monotonic() + 120
                while len(receiver.of("/execute")) < CONTACTS // 6:
                    assert time.monotonic() < deadline, "the calls never got going"
                    time.sleep(0.005)
                victim.kill()
                made_at_kill = len(receiver.of("/execute"))
                assert made_at_kill < CONTACTS, "the kill came too late to test anything"
                # The survivor makes what is left, the dead one's leased calls once their leases end.
                Clock(Admin(b)).settle()
                assert survivor.process.poll() is None, survivor.log_tail()
    finally:
        try:
            with store.engine.connect() as connection:
                statuses = Counter(connection.execute(select(journey_instances.c.status)).scalars())
                left = connection.execute(select(engine_calls.c.id)).all()
                rows = connection.execute(
                    select(
                        journey_history.c.contact_key,
                        journey_history.c.activity_key,
                        journey_history.c.status,
                    ).order_by(
                        journey_history.c.contact_key, journey_history.c.transaction_ms, journey_history.c.pk
                    )
                ).all()
        finally:
            store.dispose()
            postgres.drop_database(name)
    assert statuses == {"Waiting": CONTACTS} and left == []
    paths: dict[str, list[tuple[str | None, str]]] = {}
    for contact, activity, status in rows:
        paths.setdefault(contact, []).append((activity, status))
    wrong = {c: p for c, p in paths.items() if p != PATH}
    assert len(paths) == CONTACTS and not wrong, list(wrong.items())[:3]
    calls = by_contact(receiver, "/execute")
    assert len(calls) == CONTACTS  # every call made at least once
    duplicated: dict[str, list[dict[str, Any]]] = {c: made for c, made in calls.items() if len(made) > 1}
    # At most the calls the dead process had in flight, each made at most twice, with the same ids.
    assert len(duplicated) <= CONCURRENCY, len(duplicated)
    for made in duplicated.values():
        assert len(made) == 2
        assert len({(m["activityId"], m["definitionInstanceId"], m["activityInstanceId"]) for m in made}) == 1
    assert receiver.rejected == [] and receiver.max_in_flight["/execute"] <= CONCURRENCY
