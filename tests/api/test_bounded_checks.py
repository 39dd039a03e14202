"""Publish and save checks cannot amplify their input, run outside the write lock, and an
operation that never finishes is given up (issue 12 §2)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from journeystack.domain.clock import FrozenClock
from journeystack.domain.journey import JourneyDefinition
from journeystack.domain.lifecycle import OperationKind, OperationState
from journeystack.domain.spec import SpecProblem, bounded
from journeystack.services import events, journeys, lifecycle, verdict
from journeystack.services.context import ServiceContext
from journeystack.storage.sql.store import SqlStore
from journeystack.storage.sql.tables import operations
from tests.support import BASE, Api, assert_error, create_event, migrated_sqlite_url, wait_for_operation

MID = 1000001


def chain(length: int, back_edges: int, event_key: str = "APIEvent-publishable") -> dict[str, Any]:
    """A chain of WAITs whose first activity also gets `back_edges` outcomes from the last one."""
    activities = []
    for n in range(length):
        outcomes = [{"key": f"o{n}", "next": f"A{n + 1}" if n + 1 < length else None}]
        if n == length - 1:
            outcomes += [{"key": f"back{m}", "next": "A0"} for m in range(back_edges)]
        activities.append({"key": f"A{n}", "type": "WAIT", "outcomes": outcomes,
                           "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}})  # fmt: skip
    return {
        "key": "loops", "name": "Loops", "workflowApiVersion": 1.0, "entryMode": "MultipleEntries",
        "triggers": [{"key": "T", "type": "APIEvent", "metaData": {"eventDefinitionKey": event_key}}],
        "activities": activities,
    }  # fmt: skip


def test_bounded_keeps_the_first_problems_cuts_messages_and_counts_the_rest() -> None:
    problems = [SpecProblem("121104", f"loop {n} " + "é" * 2000, "p") for n in range(250)]
    kept = bounded(problems, 100, 1024)
    assert len(kept) == 101
    assert all(len(p.message.encode()) <= 1024 for p in kept)
    assert kept[0].message.startswith("loop 0 ") and kept[0].message.endswith("...")
    assert kept[-1].code == "121998" and "150 more problems" in kept[-1].message


def test_a_publish_of_many_loops_answers_a_bounded_status_and_audit(api: Api) -> None:
    create_event(api)
    created = api.post(BASE, json=chain(1000, 150)).json()
    started = api.post(f"{BASE}/publishAsync/{created['id']}?versionNumber=1", json={}).json()
    status = wait_for_operation(api, started["statusUrl"], timeout=60)
    assert status["status"] == "Error"
    assert len(status["errors"]) == 101 and status["errors"][-1]["errorCode"] == "121998"
    assert "50 more problems" in status["errors"][-1]["errorDetail"]
    assert all(len(e["errorDetail"].encode()) <= 1024 for e in status["errors"])
    assert "... (" in status["errors"][0]["errorDetail"]  # the loop is named, not spelt out
    audit = api.get(f"{BASE}/{created['id']}/audit/publish")
    assert len(audit.content) < 400_000 and len(audit.json()["items"][0]["errors"]) == 101
    assert api.put(BASE, json={**chain(3, 0), "key": "loops", "version": 1,
                               "modifiedDate": api.get(f"{BASE}/key:loops").json()["modifiedDate"]}).status_code == 200  # fmt: skip


def test_a_save_with_many_problems_answers_a_bounded_400(api: Api) -> None:
    body = {"key": "bad", "name": "n", "workflowApiVersion": 1.0,
            "activities": [{"key": f"A{n}", "type": 5} for n in range(300)]}  # fmt: skip
    error = assert_error(api.post(BASE, json=body), 400, 10006, "Validation Errors Occurred!")
    assert len(error["validationErrors"]) == 101
    assert "200 more problems" in error["validationErrors"][-1]["message"]


@pytest.fixture
def services(tmp_path: Path) -> Any:
    store = SqlStore(migrated_sqlite_url(tmp_path / "j.db"))
    clock = FrozenClock(1_800_000_000_000)
    ctx = ServiceContext(uow=store, clock=clock)
    events.create_event_definition(
        ctx, MID, key="E", name="E", type_="APIEvent", body={"dataExtensionId": "d"}
    )
    body = chain(3, 0, "E")
    spec = {k: v for k, v in body.items() if k not in ("key", "name", "workflowApiVersion", "entryMode")}
    definition = JourneyDefinition.build(key="j", name="J", workflow_api_version=1.0,
                                         entry_mode="MultipleEntries", spec=spec)  # fmt: skip
    version = journeys.create_journey(ctx, MID, definition)
    op = lifecycle.start_operation(
        ctx, MID, OperationKind.PUBLISH, version=1, delay_ms=0, journey_id=version.id
    )
    yield ctx, store, clock, op
    store.dispose()


def test_an_operation_that_keeps_failing_is_given_up_and_unlocks_the_version(
    services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, store, clock, op = services

    def crash(*_args: Any) -> Any:
        raise RuntimeError("the check crashed")

    monkeypatch.setattr(verdict, "publish_problems", crash)
    for _ in range(3):  # each attempt fails and is taken over once its lease runs out
        assert lifecycle.run_due_operations(ctx, worker="w", lease_ms=1000) == 1
        clock.advance(1001)
    assert lifecycle.get_operation(ctx, MID, op.id, OperationKind.PUBLISH).state is OperationState.IN_PROCESS
    assert lifecycle.run_due_operations(ctx, worker="w", lease_ms=1000) == 1
    done = lifecycle.get_operation(ctx, MID, op.id, OperationKind.PUBLISH)
    assert done.state is OperationState.ERROR and done.errors[0].code == "121997"
    assert "gave up on this publish after 3 attempts" in done.errors[0].detail
    assert journeys.get_journey(ctx, MID, key="j", version=1).operation_id is None
    assert lifecycle.run_due_operations(ctx, worker="w", lease_ms=1000) == 0


def test_a_crash_looping_operation_is_given_up_when_claimed_past_the_limit(services: Any) -> None:
    ctx, store, clock, op = services
    with store(write=True) as uow:
        uow.connection.execute(update(operations).values(attempts=3, claimed_by="dead", claimed_at_ms=0))
        uow.commit()
    assert lifecycle.run_due_operations(ctx, worker="w", lease_ms=1000) == 1
    assert lifecycle.get_operation(ctx, MID, op.id, OperationKind.PUBLISH).state is OperationState.ERROR


def test_publish_checks_run_outside_the_write_lock(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, store, clock, op = services
    checking, release = threading.Event(), threading.Event()
    original = verdict.publish_problems

    def slow(*args: Any) -> Any:
        checking.set()
        assert release.wait(10)
        return original(*args)

    monkeypatch.setattr(verdict, "publish_problems", slow)
    worker = threading.Thread(target=lifecycle.run_due_operations, args=(ctx,), kwargs={"worker": "w"})
    worker.start()
    try:
        assert checking.wait(10)
        wrote = threading.Thread(target=events.create_event_definition, args=(ctx, 2000002),
                                 kwargs={"key": "other", "name": "o", "type_": "APIEvent", "body": {"dataExtensionId": "d"}})  # fmt: skip
        wrote.start()
        wrote.join(timeout=5)
        assert not wrote.is_alive(), "another business unit's write waited on the publish check"
    finally:
        release.set()
        worker.join(timeout=10)
    done = lifecycle.get_operation(ctx, MID, op.id, OperationKind.PUBLISH)
    assert done.state is OperationState.COMPLETED, orjson.dumps([e.detail for e in done.errors])
