"""A Hypothesis state machine: random create / update / new version / delete sequences against the
real services on a real SQLite store, checked against a plain-Python model of SFMC's rules."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from journeystack.domain.clock import FrozenClock
from journeystack.domain.dates import format_ms, parse_canonical
from journeystack.domain.ids import SeededIds
from journeystack.domain.journey import JourneyDefinition, Status
from journeystack.domain.queries import JourneyQuery
from journeystack.errors import (
    CriteriaNotFound,
    DraftVersionExists,
    JourneystackError,
    NoChange,
    NotFound,
    StaleModifiedDate,
    VersionNotEditable,
)
from journeystack.services import journeys
from journeystack.services.context import ServiceContext
from journeystack.storage.sql.store import SqlStore
from tests.support import migrated_sqlite_url

MID = 1
KEYS = st.sampled_from(["a", "b", "c"])
NAMES = st.sampled_from(["x", "y", "z"])


@dataclass
class ModelVersion:
    status: Status
    name: str
    modified: str


@dataclass
class ModelJourney:
    versions: list[ModelVersion] = field(default_factory=list)


def _definition(key: str, name: str) -> JourneyDefinition:
    return JourneyDefinition.build(key=key, name=name, workflow_api_version=1.0)


class JourneyMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.store = SqlStore(migrated_sqlite_url(Path(self.directory.name) / "sm.db"))
        self.clock = FrozenClock()
        self.ctx = ServiceContext(uow=self.store, clock=self.clock, ids=SeededIds(7))
        self.model: dict[str, ModelJourney] = {}

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.dispose()
            self.directory.cleanup()

    def _outcome(self, call: object) -> type[JourneystackError] | None:
        try:
            call()  # type: ignore[operator]
        except JourneystackError as error:
            return type(error)
        return None

    @rule(key=KEYS, name=NAMES, tick=st.integers(0, 2))
    def create(self, key: str, name: str, tick: int) -> None:
        self.clock.advance(tick)
        journey = self.model.get(key)
        try:
            created = journeys.create_journey(self.ctx, MID, _definition(key, name))
        except DraftVersionExists:
            assert journey is not None and journey.versions[-1].status is Status.DRAFT
            return
        assert journey is None or journey.versions[-1].status is not Status.DRAFT
        journey = self.model.setdefault(key, ModelJourney())
        assert created.version == len(journey.versions) + 1
        journey.versions.append(ModelVersion(Status.DRAFT, name, format_ms(created.modified_ms)))

    @rule(key=KEYS, version=st.integers(1, 3), name=NAMES, stale=st.booleans(), tick=st.integers(0, 2))
    def update(self, key: str, version: int, name: str, stale: bool, tick: int) -> None:
        self.clock.advance(tick)
        journey = self.model.get(key)
        known = journey.versions[version - 1] if journey and version <= len(journey.versions) else None
        seen = "2000-01-01T00:00:00" if stale or known is None else known.modified
        try:
            result = journeys.update_journey(
                self.ctx, MID, _definition(key, name), version=version, seen_modified=seen
            )
        except NotFound:
            assert known is None
            return
        except VersionNotEditable:
            assert known is not None and known.status is not Status.DRAFT
            return
        except StaleModifiedDate:
            assert known is not None and known.status is Status.DRAFT and stale
            return
        except NoChange:
            assert known is not None and known.status is Status.DRAFT and not stale and known.name == name
            return
        assert known is not None and known.status is Status.DRAFT and not stale and known.name != name
        assert result.modified_ms > (parse_canonical(known.modified) or 0)
        known.name = name
        known.modified = format_ms(result.modified_ms)

    @precondition(lambda self: any(j.versions[-1].status is Status.DRAFT for j in self.model.values()))
    @rule(key=KEYS)
    def stop_latest(self, key: str) -> None:
        """Arrange a non-Draft latest version (as the lifecycle endpoints will), to allow new versions."""
        journey = self.model.get(key)
        if journey is None or journey.versions[-1].status is not Status.DRAFT:
            return
        with self.store(write=True) as uow:
            current = uow.journeys.latest(MID, key=key)
            assert current is not None
            assert uow.journeys.set_status(current, Status.STOPPED, modified_ms=current.modified_ms + 1)
            uow.commit()
            journey.versions[-1].status = Status.STOPPED
            journey.versions[-1].modified = format_ms(current.modified_ms + 1)

    @rule(key=KEYS, version=st.one_of(st.none(), st.integers(1, 3)))
    def delete(self, key: str, version: int | None) -> None:
        journey = self.model.get(key)
        if journey is None:
            targets: list[ModelVersion] = []
        elif version is None:
            targets = [v for v in journey.versions if v.status is not Status.DELETED]
        else:
            targets = [v for v in journey.versions[version - 1 : version] if v.status is not Status.DELETED]
        outcome = self._outcome(lambda: journeys.delete_journey(self.ctx, MID, key=key, version=version))
        if not targets:
            assert outcome is NotFound
            return
        assert outcome is None
        for target in targets:
            target.status = Status.DELETED

    @invariant()
    def reads_agree_with_the_model(self) -> None:
        if not hasattr(self, "model"):
            return
        heads = 0
        for key, journey in self.model.items():
            latest = journey.versions[-1]
            try:
                found = journeys.get_journey(self.ctx, MID, key=key)
            except CriteriaNotFound:
                assert latest.status is Status.DELETED
            else:
                assert found.status is latest.status and found.definition.name == latest.name
                assert format_ms(found.modified_ms) == latest.modified
            heads += any(v.status is not Status.DELETED for v in journey.versions)
        page = journeys.list_journeys(self.ctx, MID, JourneyQuery(page_size=500), with_spec=False)
        assert page.count == heads
        every = journeys.list_journeys(
            self.ctx, MID, JourneyQuery(page_size=500, most_recent_version_only=False), with_spec=False
        )
        assert every.count == sum(len(j.versions) for j in self.model.values())


JourneyMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestJourneyMachine = JourneyMachine.TestCase
