"""A Hypothesis state machine over the whole lifecycle (create, update, new version, publish,
validate, stop, pause, resume, delete) on the real services and a real SQLite store, checked
against a plain model of the rules: it must never reach a state they forbid."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from journeystack.domain.clock import FrozenClock
from journeystack.domain.dates import format_ms
from journeystack.domain.ids import SeededIds
from journeystack.domain.journey import JourneyDefinition, Status
from journeystack.domain.lifecycle import OperationKind, OperationState, PauseOptions
from journeystack.errors import (
    DraftVersionExists,
    InvalidStateTransition,
    JourneystackError,
    NoChange,
    NotFound,
    PauseTargetMissing,
    VersionNotEditable,
)
from journeystack.services import events, journeys, lifecycle
from journeystack.services.context import ServiceContext
from journeystack.storage.sql.store import SqlStore
from tests.support import migrated_sqlite_url

MID = 1
KEYS = st.sampled_from(["a", "b"])
VERSIONS = st.integers(1, 3)
EVENT = "APIEvent-sm"


def _definition(key: str, name: str, valid: bool) -> JourneyDefinition:
    spec: dict[str, Any] = {}
    if valid:
        spec = {
            "triggers": [{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": EVENT}}],
            "activities": [
                {
                    "key": "W",
                    "type": "WAIT",
                    "outcomes": [{"key": "o", "next": None}],
                    "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"},
                }
            ],  # fmt: skip
        }
    return JourneyDefinition.build(
        key=key,
        name=name,
        workflow_api_version=1.0,
        entry_mode="MultipleEntries" if valid else None,
        spec=spec,
    )


@dataclass
class V:
    status: Status
    name: str
    valid: bool
    modified: str


@dataclass
class J:
    versions: list[V] = field(default_factory=list)


class LifecycleMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.store = SqlStore(migrated_sqlite_url(Path(self.directory.name) / "lc.db"))
        self.clock = FrozenClock()
        self.ctx = ServiceContext(uow=self.store, clock=self.clock, ids=SeededIds(11))
        events.create_event_definition(
            self.ctx, MID, key=EVENT, name="e", type_="APIEvent", body={"dataExtensionId": "d"}
        )
        self.model: dict[str, J] = {}

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.dispose()
            self.directory.cleanup()

    def _target(self, key: str, version: int) -> V | None:
        journey = self.model.get(key)
        if journey is None or version > len(journey.versions):
            return None
        found = journey.versions[version - 1]
        return None if found.status is Status.DELETED else found

    def _refresh(self, key: str, version: int, target: V) -> None:
        stored = journeys.get_journey(self.ctx, MID, key=key, version=version)
        target.modified = format_ms(stored.modified_ms)

    @rule(key=KEYS, name=st.sampled_from(["x", "y"]), valid=st.booleans())
    def create(self, key: str, name: str, valid: bool) -> None:
        self.clock.advance(1)
        journey = self.model.get(key)
        try:
            created = journeys.create_journey(self.ctx, MID, _definition(key, name, valid))
        except DraftVersionExists:
            assert journey is not None and journey.versions[-1].status is Status.DRAFT
            return
        assert journey is None or journey.versions[-1].status is not Status.DRAFT
        self.model.setdefault(key, J()).versions.append(
            V(Status.DRAFT, name, valid, format_ms(created.modified_ms))
        )

    @rule(key=KEYS, version=VERSIONS, name=st.sampled_from(["x", "y"]), valid=st.booleans())
    def update(self, key: str, version: int, name: str, valid: bool) -> None:
        self.clock.advance(1)
        target = self._target(key, version)
        journey = self.model.get(key)
        exists = journey is not None and version <= len(journey.versions)
        seen = target.modified if target else "2000-01-01T00:00:00"
        try:
            journeys.update_journey(
                self.ctx, MID, _definition(key, name, valid), version=version, seen_modified=seen
            )
        except NotFound:
            assert not exists
            return
        except VersionNotEditable:
            assert exists and (target is None or target.status is not Status.DRAFT)
            return
        except NoChange:
            assert target is not None and (target.name, target.valid) == (name, valid)
            return
        assert target is not None and target.status is Status.DRAFT, "edited a non-Draft version"
        target.name, target.valid = name, valid
        self._refresh(key, version, target)

    @rule(key=KEYS, version=VERSIONS, kind=st.sampled_from(list(OperationKind)))
    def publish_or_validate(self, key: str, version: int, kind: OperationKind) -> None:
        target = self._target(key, version)
        try:
            op = lifecycle.start_operation(self.ctx, MID, kind, version=version, delay_ms=0, key=key)
        except NotFound:
            assert target is None
            return
        except InvalidStateTransition:
            assert target is not None and target.status not in (Status.DRAFT, Status.UNPUBLISHED)
            return
        assert target is not None and target.status in (Status.DRAFT, Status.UNPUBLISHED)
        assert lifecycle.run_due_operations(self.ctx, worker="w") == 1
        done = lifecycle.get_operation(self.ctx, MID, op.id, kind)
        assert done.state is (OperationState.COMPLETED if target.valid else OperationState.ERROR)
        if kind is OperationKind.PUBLISH and target.valid:
            for other in self.model[key].versions:
                if other.status in (Status.PUBLISHED, Status.PAUSED):
                    other.status = Status.UNPUBLISHED
            target.status = Status.PUBLISHED
        for number, each in enumerate(self.model[key].versions, 1):
            if each.status is not Status.DELETED:
                self._refresh(key, number, each)

    @rule(key=KEYS, version=VERSIONS, verb=st.sampled_from(["stop", "pause", "resume"]))
    def transition(self, key: str, version: int, verb: str) -> None:
        self.clock.advance(1)
        target = self._target(key, version)
        allowed = {"stop": (Status.PUBLISHED, Status.PAUSED, Status.UNPUBLISHED), "pause": (Status.PUBLISHED,),
                   "resume": (Status.PAUSED,)}[verb]  # fmt: skip
        try:
            if verb == "stop":
                lifecycle.stop(self.ctx, MID, version=version, key=key)
            elif verb == "pause":
                lifecycle.pause(self.ctx, MID, PauseOptions(), version=version, all_versions=False, key=key)
            else:
                lifecycle.resume(self.ctx, MID, version=version, all_versions=False, key=key)
        except NotFound:
            assert target is None
            return
        except InvalidStateTransition:
            assert target is not None and target.status not in allowed
            return
        assert target is not None and target.status in allowed
        target.status = {"stop": Status.STOPPED, "pause": Status.PAUSED, "resume": Status.PUBLISHED}[verb]
        self._refresh(key, version, target)

    @rule(key=KEYS)
    def pause_without_target(self, key: str) -> None:
        try:
            lifecycle.pause(self.ctx, MID, PauseOptions(), version=None, all_versions=False, key=key)
        except PauseTargetMissing:
            return
        raise AssertionError("pause without versionNumber or allVersions was accepted")

    @rule(key=KEYS, version=st.one_of(st.none(), VERSIONS))
    def delete(self, key: str, version: int | None) -> None:
        journey = self.model.get(key)
        candidates = [] if journey is None else (
            journey.versions if version is None else journey.versions[version - 1 : version]
        )  # fmt: skip
        live = [v for v in candidates if v.status is not Status.DELETED]
        try:
            journeys.delete_journey(self.ctx, MID, key=key, version=version)
        except NotFound:
            assert not live
            return
        except JourneystackError:
            assert any(v.status in (Status.PUBLISHED, Status.PAUSED) for v in live)
            return
        assert live and not any(v.status in (Status.PUBLISHED, Status.PAUSED) for v in live)
        for v in live:
            v.status = Status.DELETED

    @invariant()
    def store_agrees_and_no_forbidden_state(self) -> None:
        if not hasattr(self, "model"):
            return
        for key, journey in self.model.items():
            with self.store() as uow:
                stored = uow.journeys.versions(MID, key=key)
            assert [v.status for v in stored] == [v.status for v in journey.versions]
            running = [v for v in stored if v.status in (Status.PUBLISHED, Status.PAUSED)]
            assert len(running) <= 1, "two running versions of one journey"
            assert all(v.operation_id is None for v in stored), "an operation left attached"


LifecycleMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestLifecycleMachine = LifecycleMachine.TestCase
