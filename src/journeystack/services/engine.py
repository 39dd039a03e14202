"""The journey engine's use case: take up what is due, in due order, and apply the contact steps.

Work comes in five kinds, each with its due moment: pause expiries, contactexit requests, goal
sweeps, instance timers (waits) and fired events. Each run takes the earliest due kind and works a
batch of it in one transaction: load, run the pure steps (domain/runtime/steps.py), write instances,
history, outbox, contact attributes and stats together. A step is therefore never half applied, and
on PostgreSQL the batch's rows are claimed `FOR UPDATE SKIP LOCKED` in that same transaction, so
several processes share the work and a killed process only rolls its own batch back.

Each step runs at its own due moment (a wait's end, an event's firing), not at the moment the engine
got round to it, so a clock advance over two weeks gives the history a real fortnight would.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from journeystack.domain.journey import JourneyVersion, Status
from journeystack.domain.runtime import steps
from journeystack.domain.runtime.entry import Past, entry_refusal
from journeystack.domain.runtime.plan import ONCE_AND_DONE, JourneyPlan, PlanError, compile_plan
from journeystack.domain.runtime.records import ClockState, ExitRequest, InboxEvent, Processed
from journeystack.domain.runtime.steps import Effects, Instance
from journeystack.errors import Problem, refused
from journeystack.storage.ports import UnitOfWork

from .clock import engine_now, read_clock
from .context import ServiceContext

log = logging.getLogger("journeystack.engine")

DAY_MS: Final = 86_400_000
_KINDS: Final = ("pause", "exit", "sweep", "timer", "event")
_FINISHING_OR_RUNNING: Final = frozenset({Status.PUBLISHED, Status.PAUSED, Status.UNPUBLISHED})
EXIT_COMPLETED: Final = "Exit process Completed."
EXIT_NOT_IN_JOURNEY: Final = "Exit request Ignored - Contact not found in the journey."


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector out of one engine batch. A 500-step batch allocates a few
    hundred thousand short-lived objects (rows, instances, history rows, parameters), none of them in
    cycles, and every 700 allocations would start a collection: 4-8% of a clock advance
    (docs/benchmarks.md, Runtime). Reference counting still frees them as they go."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True, slots=True)
class EngineSettings:
    seed: int = 0
    strict_binding: bool = False
    batch_size: int = 500
    # Timers due within this window of the earliest are worked in one batch (each at its own time).
    window_ms: int = 60_000
    max_journeys_per_event: int = 10
    plan_cache_size: int = 512


class Engine:
    """One per process: the settings and the compiled plans of the versions that run."""

    def __init__(self, ctx: ServiceContext, settings: EngineSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self._plans: OrderedDict[str, JourneyPlan | PlanError] = OrderedDict()
        self._plans_lock = threading.Lock()
        # Held while a clock advance works (the process's engine thread then stands aside, so the
        # advance reports everything it worked; other processes may still share the work).
        self.advancing = threading.Lock()

    # --- plans ---------------------------------------------------------------------------------------

    def plan(self, version: JourneyVersion) -> JourneyPlan:
        """The compiled plan of a running version (kept: a version that runs never changes).
        Raises PlanError."""
        with self._plans_lock:
            found = self._plans.get(version.definition_id)
            if found is not None:
                self._plans.move_to_end(version.definition_id)
        if found is None:
            found = plan_or_error(version)
            with self._plans_lock:
                self._plans[version.definition_id] = found
                while len(self._plans) > self.settings.plan_cache_size:
                    self._plans.popitem(last=False)
        if isinstance(found, PlanError):
            raise found
        return found

    # --- running ---------------------------------------------------------------------------------------

    def run_batch(self, until_ms: int | None = None) -> Processed | None:
        """Work one batch of the earliest due kind of work, due at or before `until_ms` (default: the
        engine's now). None when nothing is due; a Processed with total 0 when the due work is held by
        another process (PostgreSQL) and should be looked at again shortly."""
        with _collector_paused(), self.ctx.uow(write=True) as uow:
            now = until_ms if until_ms is not None else engine_now(uow, self.ctx.clock)
            dues = uow.runtime.next_dues()
            candidates = [
                (due, rank, kind) for rank, kind in enumerate(_KINDS) if (due := dues[kind]) is not None
            ]
            eligible = [c for c in candidates if c[0] <= now]
            if not eligible:
                return None
            due, rank, kind = min(eligible)
            horizon = now
            for other_due, other_rank, _ in candidates:
                if other_rank != rank:
                    horizon = min(horizon, other_due if other_rank > rank else other_due - 1)
            if kind == "timer":
                horizon = min(horizon, due + self.settings.window_ms)
            processed = _HANDLERS[kind](self, uow, max(horizon, due))
            uow.commit()
        return processed

    def run_until(self, until_ms: int | None = None, *, wait: Callable[[], None] | None = None) -> Processed:
        """Work batches until nothing is due at or before `until_ms` (default: the engine's now, read
        once). `wait` is called when due work is held by another process."""
        if until_ms is None:
            with self.ctx.uow() as uow:
                until_ms = engine_now(uow, self.ctx.clock)
        total = Processed()
        while True:
            done = self.run_batch(until_ms)
            if done is None:
                return total
            if done.total == 0 and wait is not None:
                wait()
            total = total + done

    # --- the clock -------------------------------------------------------------------------------------

    def clock(self) -> ClockState:
        with self.ctx.uow() as uow:
            return read_clock(uow, self.ctx.clock)

    def set_clock(self, state: ClockState) -> ClockState:
        with self.ctx.uow(write=True) as uow:
            uow.runtime.set_clock(state)
            uow.commit()
        self.ctx.notify()
        return state

    def freeze(self) -> ClockState:
        """Stop the engine's clock where it is."""
        return self.set_clock(ClockState(frozen=True, now_ms=self.clock().now_ms))

    def real(self) -> ClockState:
        """Back to real time (what is due by then is worked by the engine thread, as always)."""
        self.set_clock(ClockState(frozen=False, now_ms=self.ctx.clock.now_ms()))
        return self.clock()

    def advance(
        self, *, by_ms: int | None = None, to_ms: int | None = None
    ) -> tuple[ClockState, ClockState, Processed]:
        """Freeze the clock at a later moment and work everything that falls due up to it, in due
        order, before returning (before, after, what was worked). Raises InvalidRequest for a moment
        earlier than the clock's."""
        before = self.clock()
        target = to_ms if to_ms is not None else before.now_ms + (by_ms or 0)
        if target < before.now_ms:
            text = "to must not be earlier than the engine's current time (the clock only moves forward)."
            raise refused([Problem(text, 10005, "to")], text)
        with self.advancing:
            after = self.set_clock(ClockState(frozen=True, now_ms=target))
            return before, after, self.run_until(target, wait=_pause)

    def run_until_idle(self) -> Processed:
        """Work what is due until nothing is due at the engine's current time."""
        total = Processed()
        with self.advancing:
            while True:
                done = self.run_until(wait=_pause)
                total = total + done
                if done.total == 0:
                    return total


def _pause() -> None:
    time.sleep(0.005)


def plan_or_error(version: JourneyVersion) -> JourneyPlan | PlanError:
    definition = version.definition
    try:
        return compile_plan(
            mid=version.mid, journey_id=version.id, definition_id=version.definition_id, key=version.key,
            version=version.version, name=definition.name, entry_mode=definition.entry_mode, spec=definition.spec,
        )  # fmt: skip
    except PlanError as error:
        return error


# --- the batch writer ---------------------------------------------------------------------------------


class _Batch:
    """Instances loaded or created in one batch, the contacts' attributes, and what the steps did."""

    def __init__(self, engine: Engine, uow: UnitOfWork) -> None:
        self.engine = engine
        self.uow = uow
        self.created: list[Instance] = []
        self.touched: dict[str, Instance] = {}
        self.mid_of: dict[str, int] = {}
        self._attributes: dict[tuple[int, str], dict[str, Any]] = {}
        self._current_mid = 0
        self.effects = Effects(
            attributes=self._attributes_of,
            seed=engine.settings.seed,
            strict=engine.settings.strict_binding,
        )
        self._versions: dict[str, JourneyVersion | None] = {}

    def version(self, definition_id: str) -> JourneyVersion | None:
        if definition_id not in self._versions:
            self._versions[definition_id] = self.uow.journeys.by_definition(definition_id)
        return self._versions[definition_id]

    def load_attributes(self, mid: int, contact_keys: list[str]) -> None:
        wanted = [k for k in set(contact_keys) if (mid, k) not in self._attributes]
        if not wanted:
            return
        found = self.uow.runtime.attributes(mid, wanted)
        for key in wanted:
            self._attributes[(mid, key)] = found.get(key, {})

    def for_mid(self, mid: int) -> None:
        self._current_mid = mid

    def _attributes_of(self, contact_key: str) -> Any:
        key = (self._current_mid, contact_key)
        if key not in self._attributes:
            self._attributes[key] = self.uow.runtime.attributes(self._current_mid, [contact_key]).get(
                contact_key, {}
            )
        return self._attributes[key]

    def touch(self, instance: Instance) -> None:
        self.touched[instance.id] = instance
        self.mid_of[instance.definition_id] = instance.mid

    def write(self, now_ms: int) -> None:
        uow = self.uow
        created_ids = {i.id for i in self.created}
        uow.runtime.insert_instances(self.created)
        uow.runtime.update_instances([i for k, i in self.touched.items() if k not in created_ids])
        uow.runtime.add_history(self.effects.history)
        uow.runtime.add_outbox(self.effects.outbox)
        changed: dict[int, dict[str, Any]] = {}
        for mid, contact_key in self._attributes:
            if contact_key in self.effects.changed_contacts:
                changed.setdefault(mid, {})[contact_key] = self._attributes[(mid, contact_key)]
        for mid, documents in changed.items():
            uow.runtime.save_attributes(mid, documents, now_ms)
        for row in self.effects.history:
            self.mid_of.setdefault(row.definition_id, row.mid)
        uow.runtime.apply_stats(self.mid_of, self.effects.stats)


# --- the kinds of work ---------------------------------------------------------------------------------


def _timers(engine: Engine, uow: UnitOfWork, horizon: int) -> Processed:
    due = uow.runtime.due_instances(horizon, engine.settings.batch_size)
    batch = _Batch(engine, uow)
    by_mid: dict[int, list[str]] = {}
    for instance in due:
        by_mid.setdefault(instance.mid, []).append(instance.contact_key)
    for mid, keys in by_mid.items():
        batch.load_attributes(mid, keys)
    latest = 0
    for instance in due:
        at = instance.due_ms if instance.due_ms is not None else horizon
        latest = max(latest, at)
        batch.for_mid(instance.mid)
        batch.touch(instance)
        version = batch.version(instance.definition_id)
        if version is None or version.status not in _FINISHING_OR_RUNNING:
            status = version.status.value if version is not None else "Deleted"
            _eject(
                engine,
                batch,
                version,
                instance,
                at,
                f"The journey version is {status}: the contact was ejected.",
            )
            continue
        if version.status is Status.PAUSED:
            instance.held_due_ms, instance.due_ms = instance.due_ms, None
            continue
        try:
            plan = engine.plan(version)
        except PlanError as error:
            _eject_unplanned(batch, instance, at, f"The journey version cannot run: {error}")
            continue
        steps.wake(plan, instance, at, batch.effects)
    batch.write(latest)
    return Processed(steps=len(due))


def _eject(
    engine: Engine, batch: _Batch, version: JourneyVersion | None, instance: Instance, at: int, message: str
) -> None:
    """End an instance whose version no longer runs (deleted or stopped under it), with its history row."""
    try:
        plan = engine.plan(version) if version is not None else None
    except PlanError:
        plan = None
    if plan is None:
        _eject_unplanned(batch, instance, at, message)
    else:
        steps.eject(plan, instance, at, batch.effects, message)


def _eject_unplanned(batch: _Batch, instance: Instance, at: int, message: str) -> None:
    """End an instance whose version cannot run any more (its status changed under it)."""
    was_live = instance.live
    instance.status = steps.EJECTED
    instance.ended_ms = at
    instance.reason = message
    instance.due_ms = instance.held_due_ms = None
    instance.wait_kind = instance.wait_event_key = None
    if was_live:
        batch.effects.delta(instance.definition_id).current -= 1


def _events(engine: Engine, uow: UnitOfWork, horizon: int) -> Processed:
    if not uow.runtime.take_inbox_lock():
        return Processed()
    events = uow.runtime.due_events(horizon, engine.settings.batch_size)
    batch = _Batch(engine, uow)
    # Per (mid, event key): the versions it enters; per (journey id, contact): earlier passes,
    # kept up to date as this batch admits contacts.
    targets: dict[tuple[int, str], list[JourneyVersion]] = {}
    pasts: dict[tuple[str, str], Past] = {}
    by_mid: dict[int, list[str]] = {}
    for event in events:
        by_mid.setdefault(event.mid, []).append(event.contact_key)
    for mid, keys in by_mid.items():
        batch.load_attributes(mid, keys)
    released: dict[tuple[int, str], dict[str, list[Instance]]] = {}
    for event in events:
        group = (event.mid, event.event_key)
        if group not in targets:
            targets[group] = uow.journeys.running_for_event(
                event.mid, event.event_key, engine.settings.max_journeys_per_event
            )
            contacts = [e.contact_key for e in events if (e.mid, e.event_key) == group]
            for version in targets[group]:
                for contact, past in uow.runtime.past(event.mid, version.id, contacts).items():
                    pasts[(version.id, contact)] = past
            by_contact: dict[str, list[Instance]] = {}
            for waiting in uow.runtime.waiting_for_event(event.mid, event.event_key, contacts):
                by_contact.setdefault(waiting.contact_key, []).append(waiting)
            released[group] = by_contact
    entries = 0
    for event in events:
        batch.for_mid(event.mid)
        group = (event.mid, event.event_key)
        _release(batch, event, released[group].get(event.contact_key, []))
        for version in targets[group]:
            entries += _admit(engine, batch, version, event, pasts)
    batch.write(events[-1].fired_ms if events else horizon)
    uow.runtime.delete_events([e.pk for e in events if e.pk is not None])
    return Processed(events=len(events), entries=entries)


def _release(batch: _Batch, event: InboxEvent, waiting: list[Instance]) -> None:
    """Wait Until API Event: the contact's instances waiting for this event leave their wait."""
    for instance in waiting:
        if instance.released_ms is not None:
            continue
        if instance.wait_started_ms is not None and instance.wait_started_ms > event.fired_ms:
            continue
        instance.released_ms = event.fired_ms
        instance.data.setdefault("event", {})[event.event_key] = event.data
        version = batch.version(instance.definition_id)
        if version is not None and version.status is Status.PAUSED:
            instance.held_due_ms, instance.due_ms = event.fired_ms, None
        else:
            instance.due_ms = event.fired_ms
        batch.touch(instance)


def _admit(
    engine: Engine,
    batch: _Batch,
    version: JourneyVersion,
    event: InboxEvent,
    pasts: dict[tuple[str, str], Past],
) -> int:
    """Admit one contact into one version, or write why not. Returns 1 when admitted."""
    try:
        plan = engine.plan(version)
    except PlanError:
        return 0
    at = event.fired_ms
    contact = event.contact_key
    effects = batch.effects
    probe = Instance(
        id="", mid=event.mid, journey_id=version.id, definition_id=version.definition_id, version=version.version,
        journey_key=version.key, contact_key=contact, event_instance_id=event.event_instance_id, entry_number=0,
        status=steps.WAITING, position=None, due_ms=None, data={"event": {event.event_key: event.data}}, entered_ms=at,
    )  # fmt: skip
    if plan.trigger.criteria is not None:
        attributes = effects.attributes(contact)
        if not plan.trigger.criteria.evaluate(lambda k: steps.lookup_fact(probe, attributes, k), now_ms=at):
            effects.history.append(
                steps.history_row(plan, None, contact, steps.H_NOT_MET, at, plan.trigger,
                                  "The contact did not meet the entry event's filter criteria.", event.event_instance_id)
            )  # fmt: skip
            return 0
    past = pasts.get((version.id, contact), Past(0, 0))
    refusal = entry_refusal(plan.entry_mode, past)
    if refusal is not None:
        status = steps.H_PREVIOUSLY_IN if plan.entry_mode == ONCE_AND_DONE else steps.H_ALREADY_IN
        effects.history.append(
            steps.history_row(plan, None, contact, status, at, plan.trigger, refusal, event.event_instance_id)
        )
        return 0
    options = version.pause_options or {}
    if version.status is Status.PAUSED and not options.get("retain_contact_injection"):
        effects.history.append(
            steps.history_row(plan, None, contact, steps.H_NOT_RUNNING, at, plan.trigger,
                              "The journey version is paused and drops new entries.", event.event_instance_id)
        )  # fmt: skip
        return 0
    instance = probe
    instance.id = batch.engine.ctx.ids.new_id()
    instance.entry_number = past.entries + 1
    pasts[(version.id, contact)] = Past(past.entries + 1, past.live + 1)
    batch.created.append(instance)
    batch.touch(instance)
    if version.status is Status.PAUSED:
        steps.queue(plan, instance, at, effects)
    else:
        steps.enter(plan, instance, at, effects)
    if not instance.live:
        pasts[(version.id, contact)] = Past(past.entries + 1, past.live)
    return 1


def _sweeps(engine: Engine, uow: UnitOfWork, horizon: int) -> Processed:
    found = uow.runtime.due_sweep(horizon)
    if found is None:
        return Processed()
    definition_id, mid, due, cursor = found
    version = uow.journeys.by_definition(definition_id)
    if version is None or version.status not in _FINISHING_OR_RUNNING:
        uow.runtime.drop_sweep(definition_id)
        return Processed(sweeps=1)
    if version.status is Status.PAUSED:
        uow.runtime.move_sweep(definition_id, due + DAY_MS, None)  # resume sweeps at once
        return Processed(sweeps=1)
    try:
        plan = engine.plan(version)
    except PlanError:
        uow.runtime.drop_sweep(definition_id)
        return Processed(sweeps=1)
    size = engine.settings.batch_size
    instances = uow.runtime.live_instances(definition_id, cursor or "", size, (steps.WAITING,))
    batch = _Batch(engine, uow)
    batch.for_mid(mid)
    batch.load_attributes(mid, [i.contact_key for i in instances])
    for instance in instances:
        batch.touch(instance)
        steps.sweep(plan, instance, due, batch.effects)
    batch.write(due)
    if len(instances) < size:
        uow.runtime.move_sweep(definition_id, due + DAY_MS, None)
    else:
        uow.runtime.move_sweep(definition_id, due, instances[-1].id)
    return Processed(sweeps=1, steps=len(instances))


def _exits(engine: Engine, uow: UnitOfWork, horizon: int) -> Processed:
    requests = uow.runtime.due_exit_requests(horizon, engine.settings.batch_size)
    batch = _Batch(engine, uow)
    for request in requests:
        batch.for_mid(request.mid)
        outcome = _exit(engine, batch, request)
        assert request.pk is not None
        uow.runtime.finish_exit_request(request.pk, request.requested_ms, outcome)
    batch.write(horizon)
    return Processed(exits=len(requests))


def _exit(engine: Engine, batch: _Batch, request: ExitRequest) -> list[dict[str, Any]]:
    at = request.requested_ms
    wanted = set(request.versions) if request.versions is not None else None
    outcome: list[dict[str, Any]] = []
    for instance in batch.uow.runtime.instances_of(
        request.mid, request.contact_key, journey_key=request.journey_key
    ):
        if wanted is not None and instance.version not in wanted:
            continue
        version = batch.version(instance.definition_id)
        batch.touch(instance)
        if version is None:
            _eject_unplanned(batch, instance, at, "Removed by a contactexit request.")
        else:
            try:
                plan = engine.plan(version)
            except PlanError:
                _eject_unplanned(batch, instance, at, "Removed by a contactexit request.")
            else:
                instance.exit_requested_ms = at
                steps.wake(plan, instance, at, batch.effects)
        outcome.append(
            {"version": instance.version, "message": EXIT_COMPLETED, "definitionInstanceId": instance.id}
        )
    if not outcome:
        versions = sorted(wanted) if wanted is not None else [None]
        outcome = [{"version": v, "message": EXIT_NOT_IN_JOURNEY} for v in versions]
    return outcome


def _pauses(engine: Engine, uow: UnitOfWork, horizon: int) -> Processed:
    from .lifecycle import expire_pause

    expired = uow.journeys.expired_pauses(horizon, limit=20)
    for version in expired:
        expire_pause(engine.ctx, uow, version)
    return Processed(pauses=len(expired))


_HANDLERS: Final[dict[str, Callable[[Engine, UnitOfWork, int], Processed]]] = {
    "pause": _pauses,
    "exit": _exits,
    "sweep": _sweeps,
    "timer": _timers,
    "event": _events,
}
