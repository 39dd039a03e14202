"""kill -9 of one of two server processes while the engine's clock advances: the other finishes the
work, no instance is lost and no step is applied twice."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import engine_outbox, journey_history, journey_instances
from tests.control_plane import ADMIN_TOKEN, Admin
from tests.pg import PostgresServer
from tests.runtime_support import Clock, email, event_definition, fire_many, journey, published, wait
from tests.scaleout import servers
from tests.support import CLIENT_ID, CLIENT_SECRET, Api

MID = 1000001
KEY = "APIEvent-crash"
CONTACTS = 6000
PATH = [
    ("TRIGGER", "MetCriteria"), ("W1", "Waiting"), ("W1", "Complete"), ("E1", "Complete"), ("W2", "Waiting"),
    ("W2", "Complete"), (None, "Complete"),
]  # fmt: skip


def _count(store: SqlStore, table: Any) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.slow
def test_a_server_killed_while_the_clock_advances_loses_no_instance_and_repeats_no_step(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    name = postgres.create_database("enginecrash")
    url = postgres.url(name)
    env = {
        "JOURNEYSTACK_PACKAGES": json.dumps(
            [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "mids": [MID]}]
        ),
        "JOURNEYSTACK_ADMIN_TOKEN": ADMIN_TOKEN,
        "JOURNEYSTACK_ENGINE_BATCH_SIZE": "200",  # many batches, so the kill lands mid-way
    }
    store = SqlStore(url, pool_size=2)
    try:
        with servers(url, 2, tmp_path, env=env) as (victim, survivor):
            with (
                httpx.Client(base_url=victim.url, timeout=300) as a,
                httpx.Client(base_url=survivor.url, timeout=300) as b,
            ):
                api = Api(client=a, mid=MID, database_url=url).authenticate()
                Clock(Admin(b)).start_at()
                event_definition(api, KEY)
                published(api, journey("crash", KEY, [wait("W1", 1, "DAYS", "E1"), email("E1", "Hi", "W2"),
                                                      wait("W2", 1, "DAYS", None)]))  # fmt: skip
                fire_many(api, KEY, [(f"c{i:05d}", {"Email": f"c{i}@x.io"}) for i in range(CONTACTS)])
                Clock(Admin(b)).settle()
                assert _count(store, journey_instances) == CONTACTS

                # The victim advances the clock two days and works the steps (the survivor's
                # engine thread shares the work); it is killed once some, not all, are done.
                outcome: dict[str, Any] = {}

                def advance() -> None:
                    try:
                        outcome["answer"] = Admin(a).request("POST", "/clock/advance", json={"by": "2d"})
                    except httpx.TransportError as error:
                        outcome["error"] = error

                caller = threading.Thread(target=advance)
                caller.start()
                deadline = time.monotonic() + 120
                while _count(store, engine_outbox) < CONTACTS // 10:
                    assert time.monotonic() < deadline, "the engine never got going"
                    time.sleep(0.01)
                victim.kill()
                caller.join(timeout=60)
                sent_at_kill = _count(store, engine_outbox)
                assert sent_at_kill < CONTACTS, "the kill came too late to test anything"
                assert "error" in outcome, outcome  # the advance's answer died with its process

                # The survivor finishes what the victim left, its own thread and a run-until-idle.
                Clock(Admin(b)).settle()
                assert survivor.process.poll() is None, survivor.log_tail()
    finally:
        try:
            with store.engine.connect() as connection:
                statuses = Counter(connection.execute(select(journey_instances.c.status)).scalars())
                rows = connection.execute(
                    select(
                        journey_history.c.contact_key,
                        journey_history.c.activity_key,
                        journey_history.c.status,
                    ).order_by(
                        journey_history.c.contact_key, journey_history.c.transaction_ms, journey_history.c.pk
                    )
                ).all()
                sent = Counter(connection.execute(select(engine_outbox.c.contact_key)).scalars())
        finally:
            store.dispose()
            postgres.drop_database(name)
    assert statuses == {"Completed": CONTACTS}
    paths: dict[str, list[tuple[str | None, str]]] = {}
    for contact, activity, status in rows:
        paths.setdefault(contact, []).append((activity, status))
    assert len(paths) == CONTACTS
    wrong = {contact: path for contact, path in paths.items() if path != PATH}
    assert not wrong, list(wrong.items())[:3]
    assert set(sent.values()) == {1} and len(sent) == CONTACTS
