"""An operation claimed by a process that died is taken over once its lease runs out, and completes."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from journeystack.api.app import create_app
from journeystack.config import load_settings
from journeystack.domain.journey import JourneyDefinition
from journeystack.domain.lifecycle import OperationKind
from journeystack.services import events, journeys, lifecycle
from journeystack.services.context import ServiceContext
from journeystack.storage.sql.store import SqlStore
from tests.support import (
    BASE,
    Api,
    app_in_thread,
    migrated_sqlite_url,
    publishable_journey,
    wait_for_operation,
)

MID = 1000001


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_an_operation_claimed_by_a_dead_process_completes(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        migrated_sqlite_url(tmp_path / "takeover.db")
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    store = SqlStore(url)
    ctx = ServiceContext(uow=store)
    body = publishable_journey("orphan")
    events.create_event_definition(
        ctx, MID, key="APIEvent-publishable", name="e", type_="APIEvent", body={"dataExtensionId": "d"}
    )
    definition = JourneyDefinition.build(
        key="orphan", name=body["name"], workflow_api_version=1.0, entry_mode="MultipleEntries",
        spec={"triggers": body["triggers"], "activities": body["activities"]},
    )  # fmt: skip
    journeys.create_journey(ctx, MID, definition)
    op = lifecycle.start_operation(ctx, MID, OperationKind.PUBLISH, version=1, delay_ms=0, key="orphan")
    # The "dead" process: it claims the operation, then never finishes it (nor renews its claim).
    claimed_at = time.monotonic()
    with store(write=True) as uow:
        claimed = uow.operations.claim_due(ctx.clock.now_ms(), "dead-process", 60_000, 10)
        uow.commit()
    assert [c.id for c in claimed] == [op.id]
    store.dispose()

    settings = load_settings(
        database_url=url, access_log=False, operation_lease_seconds=1, worker_poll_seconds=0.05
    )
    with app_in_thread(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        api = Api(client=client, mid=MID, database_url=url).authenticate()
        status_url = f"/interaction/v1/interactions/publishStatus/{op.id}"
        assert api.get(status_url).json()["status"] == "PublishInProcess"
        done = wait_for_operation(api, status_url)
        assert done["status"] == "PublishCompleted"
        assert time.monotonic() - claimed_at >= 1.0  # not before the dead process's lease ran out
        assert api.get(f"{BASE}/key:orphan").json()["status"] == "Published"
        audit = api.get(f"{BASE}/key:orphan/audit/publish").json()["items"]
        assert [entry["publishStatus"] for entry in audit] == ["PublishCompleted"]
