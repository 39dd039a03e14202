"""A Hypothesis state machine over the runtime (entry, clock advance, pause, resume, stop, new version,
contactexit) on the real services, the real engine and a real SQLite store, checked after every step
against a plain model of who is where."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from journeystack.domain.clock import FrozenClock
from journeystack.domain.ids import SeededIds
from journeystack.domain.journey import JourneyDefinition
from journeystack.domain.lifecycle import OperationKind, PauseOptions
from journeystack.domain.runtime.records import ClockState, OutboxQuery
from journeystack.services import events, journeys, lifecycle, runtime
from journeystack.services.context import ServiceContext
from journeystack.services.engine import Engine, EngineSettings
from journeystack.storage.sql.store import SqlStore
from tests.support import migrated_sqlite_url

MID = 1
KEY = "journey"
EVENT = "APIEvent-sm-runtime"
CONTACTS = ("ann", "bob", "cyd")
HOUR = 3_600_000
DAY = 24 * HOUR
START = 1_893_456_000_000
FIRST_WAIT, SECOND_WAIT = 2 * DAY, DAY


def _definition() -> JourneyDefinition:
    spec: dict[str, Any] = {
        "defaults": {"email": [f'{{{{Event.{EVENT}."Email"}}}}']},
        "triggers": [{"key": "TRIGGER", "type": "APIEvent", "metaData": {"eventDefinitionKey": EVENT}}],
        "activities": [
            {"key": "W1", "type": "WAIT", "outcomes": [{"key": "a", "next": "E1"}],
             "configurationArguments": {"waitDuration": 2, "waitUnit": "DAYS"}},
            {"key": "E1", "type": "EMAILV2", "outcomes": [{"key": "b", "next": "W2"}],
             "configurationArguments": {"triggeredSend": {"emailSubject": "hi"}}},
            {"key": "W2", "type": "WAIT", "outcomes": [{"key": "c", "next": None}],
             "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"}},
        ],
    }  # fmt: skip
    return JourneyDefinition.build(
        key=KEY, name="Runtime machine", workflow_api_version=1.0, entry_mode="SingleEntryAcrossAllVersions",
        spec=spec,
    )  # fmt: skip


@dataclass
class Pass:
    """The model of one contact's pass: which version, which wait, when it ends (None while held)."""

    contact: str
    version: int
    stage: str  # "W1" | "W2"
    due: int | None
    held: int | None = None


class RuntimeMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.directory = tempfile.TemporaryDirectory()
        self.store = SqlStore(migrated_sqlite_url(Path(self.directory.name) / "rt.db"))
        self.ctx = ServiceContext(uow=self.store, clock=FrozenClock(), ids=SeededIds(7))
        self.engine = Engine(self.ctx, EngineSettings())
        self.engine.set_clock(ClockState(frozen=True, now_ms=START))
        events.create_event_definition(
            self.ctx, MID, key=EVENT, name=EVENT, type_="APIEvent",
            body={"schema": {"fields": [{"name": "Email", "dataType": "EmailAddress"}]}},
        )  # fmt: skip
        self.now = START
        self.statuses: dict[int, str] = {}
        self.passes: list[Pass] = []
        self.emails: dict[str, int] = dict.fromkeys(CONTACTS, 0)
        self._new_version()

    def teardown(self) -> None:
        self.store.dispose()
        self.directory.cleanup()

    # --- the model's helpers ------------------------------------------------------------------------

    def _running(self) -> int | None:
        return next((v for v, s in self.statuses.items() if s in ("Published", "Paused")), None)

    def _release(self, version: int) -> None:
        for p in self.passes:
            if p.version == version and p.held is not None:
                p.due, p.held = max(p.held, self.now), None

    def _new_version(self) -> None:
        created = journeys.create_journey(self.ctx, MID, _definition())
        lifecycle.start_operation(
            self.ctx, MID, OperationKind.PUBLISH, version=created.version, delay_ms=0, key=KEY
        )
        assert lifecycle.run_due_operations(self.ctx, worker="machine") == 1
        running = self._running()
        if running is not None:
            if self.statuses[running] == "Paused":
                self._release(running)
            self.statuses[running] = "Unpublished"
        self.statuses[created.version] = "Published"

    # --- rules ------------------------------------------------------------------------------------------

    @rule(contact=st.sampled_from(CONTACTS))
    def enter(self, contact: str) -> None:
        runtime.fire_event(
            self.ctx, MID, contact_key=contact, event_key=EVENT, data={"Email": f"{contact}@x.io"}
        )
        self.engine.run_until_idle()
        self._work(self.now)  # what was already due comes first (an event is fired after it)
        running = self._running()
        if running is None or any(p.contact == contact for p in self.passes):
            return  # nothing runs, or SingleEntryAcrossAllVersions: still in the journey
        if self.statuses[running] == "Paused":
            return  # a paused version drops new entries (RetainContactInjectionWhileJourneyPaused off)
        self.passes.append(Pass(contact, running, "W1", self.now + FIRST_WAIT))

    @rule(hours=st.integers(1, 80))
    def advance(self, hours: int) -> None:
        target = self.now + hours * HOUR
        self.engine.advance(to_ms=target)
        self._work(target)
        self.now = target

    def _work(self, until: int) -> None:
        """The model of the engine: passes whose wait ends by `until`, in due order."""
        while True:
            due = [p for p in self.passes if p.due is not None and p.due <= until]
            if not due:
                return
            first = min(due, key=lambda p: p.due or 0)
            assert first.due is not None
            if first.stage == "W1":
                first.stage, first.due = "W2", first.due + SECOND_WAIT
                self.emails[first.contact] += 1
            else:
                self.passes.remove(first)

    @precondition(lambda self: self._running() is not None)
    @rule()
    def pause(self) -> None:
        running = self._running()
        assert running is not None
        if self.statuses[running] != "Published":
            return
        lifecycle.pause(
            self.ctx, MID, PauseOptions(paused_days=365), version=running, all_versions=False, key=KEY
        )
        self.statuses[running] = "Paused"
        for p in self.passes:
            if p.version == running:
                p.held, p.due = p.due, None

    @precondition(lambda self: "Paused" in self.statuses.values())
    @rule()
    def resume(self) -> None:
        version = next(v for v, s in self.statuses.items() if s == "Paused")
        lifecycle.resume(self.ctx, MID, version=version, all_versions=False, key=KEY)
        self.statuses[version] = "Published"
        self._release(version)

    @rule(data=st.data())
    def stop(self, data: st.DataObject) -> None:
        stoppable = sorted(v for v, s in self.statuses.items() if s in ("Published", "Paused", "Unpublished"))
        if not stoppable:
            return
        version = data.draw(st.sampled_from(stoppable))
        lifecycle.stop(self.ctx, MID, version=version, key=KEY)
        self.statuses[version] = "Stopped"
        self.passes = [p for p in self.passes if p.version != version]

    @precondition(lambda self: len(self.statuses) < 5)
    @rule()
    def new_version(self) -> None:
        self._new_version()

    @rule(contact=st.sampled_from(CONTACTS))
    def exit(self, contact: str) -> None:
        errors = runtime.request_exits(self.ctx, MID, [runtime.ExitItem(contact, KEY, None)])
        assert errors == []
        self.engine.run_until_idle()
        self.passes = [p for p in self.passes if p.contact != contact]  # exits come before waits
        self._work(self.now)

    # --- checks -------------------------------------------------------------------------------------------

    @invariant()
    def membership_agrees(self) -> None:
        if not hasattr(self, "passes"):
            return
        found, not_found = runtime.contact_membership(self.ctx, MID, list(CONTACTS))
        expected = sorted((p.contact, KEY, p.version) for p in self.passes)
        assert sorted(found) == expected
        assert sorted(not_found) == sorted(set(CONTACTS) - {p.contact for p in self.passes})

    @invariant()
    def emails_agree(self) -> None:
        if not hasattr(self, "passes"):
            return
        _, sent = runtime.list_outbox(self.ctx, OutboxQuery(mid=MID, limit=1000))
        counted = dict.fromkeys(CONTACTS, 0)
        for _, message in sent:
            counted[message.contact_key] += 1
        assert counted == self.emails


TestRuntimeMachine = RuntimeMachine.TestCase
TestRuntimeMachine.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
