"""Facts with one home (issue 12 §10-11): running, the trigger's event reference, event keys,
account_id, and the transaction kinds and heap freezing that outlived their callers."""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update

from journeystack.api.app import create_app
from journeystack.config import load_settings
from journeystack.domain import journey, lifecycle
from journeystack.storage.sql.admin import SqlStateStore
from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import journeys
from tests.support import (
    BASE,
    Api,
    app_in_thread,
    assert_error,
    create_event,
    migrated_sqlite_url,
    publish,
    publishable_journey,
)

EVENTS = "/interaction/v1/eventDefinitions"
MALFORMED = "Please validate that your request is properly formed."
IN_USE = (
    "Event definition is used by a running journey; stop or pause the journey before changing or deleting it."
)


def test_running_has_one_definition() -> None:
    assert lifecycle.RUNNING is journey.RUNNING
    assert journey.RUNNING == {
        journey.Status.PUBLISHED,
        journey.Status.PAUSED,
        journey.Status.SCHEDULED_TO_PUBLISH,
    }


def test_publishing_a_version_unpublishes_one_scheduled_to_publish(api: Api, store: SqlStore) -> None:
    create_event(api)
    first = api.post(BASE, json=publishable_journey("scheduled")).json()
    assert publish(api, first)["status"] == "PublishCompleted"
    with store(write=True) as uow:
        uow.connection.execute(
            update(journeys).where(journeys.c.journey_id == first["id"]).values(status="ScheduledToPublish")
        )
        uow.commit()
    second = api.post(BASE, json=publishable_journey("scheduled")).json()
    assert second["version"] == 2
    assert publish(api, second)["status"] == "PublishCompleted"
    statuses = [
        v["status"] for v in api.get(f"{BASE}?id={first['id']}&mostRecentVersionOnly=false").json()["items"]
    ]
    assert sorted(statuses) == ["Published", "Unpublished"]


def test_a_blank_metadata_key_locks_the_event_the_journey_publishes_against(api: Api) -> None:
    create_event(api, "APIEvent-real")
    body = publishable_journey("blank-reference", event_key="APIEvent-real")
    body["triggers"] = [
        {
            "key": "TRIGGER",
            "type": "APIEvent",
            "eventDefinitionKey": "APIEvent-real",
            "metaData": {"eventDefinitionKey": " "},
        }
    ]
    created = api.post(BASE, json=body).json()
    assert publish(api, created)["status"] == "PublishCompleted"
    assert_error(api.delete(f"{EVENTS}/key:APIEvent-real"), 409, 30002, IN_USE)
    assert_error(api.put(f"{EVENTS}/key:APIEvent-real", json={"name": "renamed"}), 409, 30002, IN_USE)


@pytest.mark.parametrize("key", ["ends-in-newline\n", "\nstarts", "tab\tinside"])
def test_an_event_definition_key_with_a_control_character_is_refused(api: Api, key: str) -> None:
    body = {"type": "APIEvent", "name": "n", "eventDefinitionKey": key, "dataExtensionId": "de"}
    error = assert_error(api.post(EVENTS, json=body), 400, 400, MALFORMED)
    assert error["validationErrors"][0]["path"] == "eventDefinitionKey"
    assert api.get(EVENTS).json()["count"] == 0


@pytest.mark.parametrize("account_id", [True, False, "²", "1" * 5000, 2**64, -5, "12 34"])
def test_an_unusable_account_id_is_refused_not_taken_as_absent(api: Api, account_id: Any) -> None:
    body = {"grant_type": "client_credentials", "client_id": "journeystack", "client_secret": "journeystack",
            "account_id": account_id}  # fmt: skip
    response = api.client.post("/v2/token", json=body)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized_client"


def test_a_snapshot_export_reads_one_state_of_every_table(tmp_path: Path) -> None:
    """A folder committed by another connection between the export's first and later table reads
    is not in the export: every table is read in one transaction."""
    path = tmp_path / "j.db"
    store = SqlStore(migrated_sqlite_url(path))
    written: list[bool] = []

    def write_between(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if written or not statement.lstrip().upper().startswith("SELECT"):
            return
        written.append(True)
        other = sqlite3.connect(path)
        other.execute(
            "INSERT INTO folders (id, mid, parent_id, name, content_type, customer_key, description, object_id,"
            " is_active, is_editable, allow_children, created_ms, modified_ms)"
            " VALUES (5001, 1000001, 0, 'late', 'journey', NULL, '', 'o', 1, 1, 1, 0, 0)"
        )
        other.commit()
        other.close()

    event.listen(store.engine, "after_cursor_execute", write_between)
    try:
        exported = SqlStateStore(store).export(None)
    finally:
        event.remove(store.engine, "after_cursor_execute", write_between)
        store.dispose()
    assert written and exported["folders"] == []


def test_no_transaction_kind_outlives_its_checkout(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'j.db'}", pool_size=1, max_overflow=0)
    try:
        store.upgrade()  # the migrations' write transaction, on the pool's one connection
        with store.engine.connect() as connection:
            assert dict(connection.info) == {}
    finally:
        store.dispose()


def test_create_app_leaves_the_heap_unfrozen(tmp_path: Path) -> None:
    before = gc.get_freeze_count()
    app = create_app(load_settings(database_url=f"sqlite:///{tmp_path / 'j.db'}", access_log=False))
    with app_in_thread(app):
        assert gc.get_freeze_count() == before
