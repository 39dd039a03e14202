"""SQL of the journey runtime: the clock, fired events, instances, contact attributes, stats, sweeps
and exit requests. The engine's batches go through driver-level `executemany` (storage/sql/prepared.py).

On PostgreSQL the engine's claims are `FOR UPDATE SKIP LOCKED` inside the transaction that applies
the steps, so processes share the work and a process that dies mid-batch only rolls its batch back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson
from sqlalchemy import Connection, and_, bindparam, case, delete, false, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from journeystack.domain.runtime.calls import DONE
from journeystack.domain.runtime.entry import Past
from journeystack.domain.runtime.records import ClockState, ExitRequest, InboxEvent, JourneyStats
from journeystack.domain.runtime.steps import (
    LIVE,
    QUEUED,
    WAITING,
    HistoryRow,
    Instance,
    OutboxMessage,
    StatsDelta,
)

from .prepared import Prepared
from .tables import (
    contact_attributes,
    engine_calls,
    engine_clock,
    engine_inbox,
    engine_outbox,
    engine_sweeps,
    exit_requests,
    journey_history,
    journey_instances,
    journey_stats,
    journeys,
)

CLOCK_ROW: Final = 1
# Inbox work is taken by one process at a time on PostgreSQL (entry-mode checks read the contact's
# earlier passes, so two processes admitting the same contact at once could both let it in).
INBOX_LOCK_KEY: Final = 0x6A73_696E_626F_7821  # "jsinbox!"
_LIVE = tuple(sorted(LIVE))

_INSTANCE_COLUMNS: Final = [c.name for c in journey_instances.c]
_MUTABLE: Final = [
    "status", "position", "due_ms", "held_due_ms", "wait_kind", "wait_event_key", "wait_started_ms",
    "released_ms", "exit_requested_ms", "goal_met", "data", "ended_ms", "reason",
]  # fmt: skip
_HISTORY_COLUMNS: Final = [c.name for c in journey_history.c if c.name != "pk"]
_OUTBOX_COLUMNS: Final = [c.name for c in engine_outbox.c if c.name != "pk"]

_CLOCK = Prepared(select(engine_clock.c.frozen, engine_clock.c.now_ms).where(engine_clock.c.id == CLOCK_ROW))
_INSERT_EVENT = Prepared(
    engine_inbox.insert(), column_keys=[c.name for c in engine_inbox.c if c.name != "pk"]
)
_INSERT_INSTANCE = Prepared(journey_instances.insert(), column_keys=_INSTANCE_COLUMNS)
_UPDATE_INSTANCE = Prepared(
    update(journey_instances)
    .where(journey_instances.c.id == bindparam("w_id"))
    .values({name: bindparam(name) for name in _MUTABLE})
)
_INSERT_HISTORY = Prepared(journey_history.insert(), column_keys=_HISTORY_COLUMNS)
_INSERT_OUTBOX = Prepared(engine_outbox.insert(), column_keys=_OUTBOX_COLUMNS)
_DELETE_EVENT = Prepared(delete(engine_inbox).where(engine_inbox.c.pk == bindparam("w_pk")))

_NEXT_DUES = select(
    select(func.min(journeys.c.paused_until_ms)).where(journeys.c.status == "Paused").scalar_subquery(),
    select(func.min(exit_requests.c.requested_ms)).where(exit_requests.c.done_ms.is_(None)).scalar_subquery(),
    select(func.min(engine_sweeps.c.due_ms)).scalar_subquery(),
    select(func.min(journey_instances.c.due_ms))
    .where(journey_instances.c.due_ms.is_not(None))
    .scalar_subquery(),
    select(func.min(engine_calls.c.due_ms))
    .where(engine_calls.c.state == DONE, engine_calls.c.held == false())
    .scalar_subquery(),
    select(func.min(engine_inbox.c.fired_ms)).scalar_subquery(),
)
DUE_KINDS: Final = ("pause", "exit", "sweep", "timer", "call", "event")


def _upsert(connection: Connection) -> Any:
    return postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert


def _postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _to_instance(row: Any) -> Instance:
    values = dict(zip(_INSTANCE_COLUMNS, row, strict=True))
    values["data"] = orjson.loads(values["data"])
    values["goal_met"] = bool(values["goal_met"])
    return Instance(**values)


def _instance_values(instance: Instance) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in _INSTANCE_COLUMNS} | {
        "data": orjson.dumps(instance.data).decode("utf-8")
    }


def _chunks(items: list[str], size: int = 400) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlRuntimeRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # --- clock -----------------------------------------------------------------------------------

    def clock(self) -> ClockState | None:
        row = _CLOCK.first(self._c, {})
        return None if row is None else ClockState(bool(row[0]), int(row[1]))

    def set_clock(self, state: ClockState) -> None:
        statement = _upsert(self._c)(engine_clock).values(
            id=CLOCK_ROW, frozen=state.frozen, now_ms=state.now_ms
        )
        self._c.execute(
            statement.on_conflict_do_update(
                index_elements=[engine_clock.c.id], set_={"frozen": state.frozen, "now_ms": state.now_ms}
            )
        )

    # --- what is due ------------------------------------------------------------------------------

    def next_dues(self) -> dict[str, int | None]:
        """The earliest due moment of each kind of engine work (None: nothing of that kind)."""
        row = self._c.execute(_NEXT_DUES).one()
        return dict(zip(DUE_KINDS, row, strict=True))

    def take_inbox_lock(self) -> bool:
        """Whether this transaction may process fired events (always on SQLite's single writer)."""
        if not _postgresql(self._c):
            return True
        return bool(
            self._c.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": INBOX_LOCK_KEY}).scalar()
        )

    # --- fired events -----------------------------------------------------------------------------

    def add_events(self, events: list[InboxEvent]) -> None:
        _INSERT_EVENT.execute_many(
            self._c,
            [
                {
                    "mid": e.mid, "event_key": e.event_key, "contact_key": e.contact_key,
                    "event_instance_id": e.event_instance_id, "request_id": e.request_id,
                    "data": orjson.dumps(e.data).decode("utf-8"), "fired_ms": e.fired_ms,
                }
                for e in events
            ],
        )  # fmt: skip

    def due_events(self, until_ms: int, limit: int) -> list[InboxEvent]:
        rows = self._c.execute(
            select(engine_inbox)
            .where(engine_inbox.c.fired_ms <= until_ms)
            .order_by(engine_inbox.c.fired_ms, engine_inbox.c.pk)
            .limit(limit)
        ).all()
        return [
            InboxEvent(mid=r.mid, event_key=r.event_key, contact_key=r.contact_key,
                       event_instance_id=r.event_instance_id, data=orjson.loads(r.data), fired_ms=r.fired_ms,
                       request_id=r.request_id, pk=r.pk)
            for r in rows
        ]  # fmt: skip

    def delete_events(self, pks: list[int]) -> None:
        _DELETE_EVENT.execute_many(self._c, [{"w_pk": pk} for pk in pks])

    def pending_events(self, mid: int | None = None) -> int:
        query = select(func.count()).select_from(engine_inbox)
        if mid is not None:
            query = query.where(engine_inbox.c.mid == mid)
        return int(self._c.execute(query).scalar_one())

    # --- instances --------------------------------------------------------------------------------

    def due_instances(self, until_ms: int, limit: int) -> list[Instance]:
        query = (
            select(journey_instances)
            .where(journey_instances.c.due_ms <= until_ms)
            .order_by(journey_instances.c.due_ms, journey_instances.c.id)
            .limit(limit)
        )
        if _postgresql(self._c):
            query = query.with_for_update(skip_locked=True)
        return [_to_instance(row) for row in self._c.execute(query)]

    def instances_by_id(self, ids: list[str]) -> dict[str, Instance]:
        found: dict[str, Instance] = {}
        for chunk in _chunks(ids):
            query = select(journey_instances).where(journey_instances.c.id.in_(chunk))
            if _postgresql(self._c):
                query = query.with_for_update()
            for row in self._c.execute(query):
                instance = _to_instance(row)
                found[instance.id] = instance
        return found

    def live_instances(
        self, definition_id: str, after_id: str, limit: int, statuses: tuple[str, ...]
    ) -> list[Instance]:
        query = (
            select(journey_instances)
            .where(
                journey_instances.c.definition_id == definition_id,
                journey_instances.c.status.in_(statuses),
                journey_instances.c.id > after_id,
            )
            .order_by(journey_instances.c.id)
            .limit(limit)
        )
        if _postgresql(self._c):
            query = query.with_for_update(skip_locked=True)
        return [_to_instance(row) for row in self._c.execute(query)]

    def instances_of(
        self, mid: int, contact_key: str, *, journey_key: str | None = None, live_only: bool = True
    ) -> list[Instance]:
        conditions = [journey_instances.c.mid == mid, journey_instances.c.contact_key == contact_key]
        if journey_key is not None:
            conditions.append(journey_instances.c.journey_key == journey_key)
        if live_only:
            conditions.append(journey_instances.c.status.in_(_LIVE))
        query = (
            select(journey_instances)
            .where(*conditions)
            .order_by(journey_instances.c.entered_ms, journey_instances.c.id)
        )
        if _postgresql(self._c):
            query = query.with_for_update()
        return [_to_instance(row) for row in self._c.execute(query)]

    def waiting_for_event(self, mid: int, event_key: str, contact_keys: list[str]) -> list[Instance]:
        found: list[Instance] = []
        for chunk in _chunks(contact_keys):
            query = select(journey_instances).where(
                journey_instances.c.mid == mid,
                journey_instances.c.wait_event_key == event_key,
                journey_instances.c.contact_key.in_(chunk),
                journey_instances.c.status == WAITING,
                journey_instances.c.released_ms.is_(None),
            )
            if _postgresql(self._c):
                query = query.with_for_update()
            found.extend(_to_instance(row) for row in self._c.execute(query))
        return found

    def past(self, mid: int, journey_id: str, contact_keys: list[str]) -> dict[str, Past]:
        """Each contact's earlier passes through a journey (every version)."""
        result: dict[str, Past] = {}
        live = func.sum(case((journey_instances.c.status.in_(_LIVE), 1), else_=0))
        for chunk in _chunks(contact_keys):
            rows = self._c.execute(
                select(journey_instances.c.contact_key, func.count(), live)
                .where(
                    journey_instances.c.mid == mid,
                    journey_instances.c.contact_key.in_(chunk),
                    journey_instances.c.journey_id == journey_id,
                )
                .group_by(journey_instances.c.contact_key)
            )
            for contact_key, entries, live_count in rows:
                result[contact_key] = Past(entries=int(entries), live=int(live_count or 0))
        return result

    def insert_instances(self, instances: list[Instance]) -> None:
        _INSERT_INSTANCE.execute_many(self._c, [_instance_values(i) for i in instances])

    def update_instances(self, instances: list[Instance]) -> None:
        _UPDATE_INSTANCE.execute_many(
            self._c,
            [
                {name: getattr(i, name) for name in _MUTABLE}
                | {"data": orjson.dumps(i.data).decode("utf-8"), "w_id": i.id}
                for i in instances
            ],
        )

    def membership(self, mid: int, contact_keys: list[str]) -> list[tuple[str, str, int]]:
        rows = self._c.execute(
            select(
                journey_instances.c.contact_key, journey_instances.c.journey_key, journey_instances.c.version
            )
            .where(
                journey_instances.c.mid == mid,
                journey_instances.c.contact_key.in_(contact_keys),
                journey_instances.c.status.in_(_LIVE),
            )
            .distinct()
            .order_by(
                journey_instances.c.contact_key, journey_instances.c.journey_key, journey_instances.c.version
            )
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    # --- whole versions (stop, pause, resume) -------------------------------------------------------

    def eject_version(self, definition_id: str, at_ms: int, message: str, names: Mapping[str, Any]) -> int:
        """End every live instance of a version at once, with a history row each; returns how many."""
        i = journey_instances.c
        live = and_(i.definition_id == definition_id, i.status.in_(_LIVE))
        history = select(
            i.mid, bindparam("at", at_ms), i.contact_key, bindparam("status", "Ejected"),
            bindparam("client_status", "Success"), i.journey_id,
            i.definition_id, i.journey_key, i.version, bindparam("name", names["definition_name"]),
            bindparam("activity_id", None), bindparam("activity_key", None), bindparam("activity_name", None),
            bindparam("activity_type", None), i.id, i.event_instance_id, bindparam("message", message),
        ).where(live)  # fmt: skip
        self._c.execute(journey_history.insert().from_select(_HISTORY_COLUMNS, history))
        result = self._c.execute(
            update(journey_instances)
            .where(live)
            .values(status="Ejected", ended_ms=at_ms, due_ms=None, held_due_ms=None, reason=message,
                    wait_kind=None, wait_event_key=None, wait_started_ms=None, released_ms=None)
        )  # fmt: skip
        return int(result.rowcount)

    def hold_version(self, definition_id: str) -> None:
        """Pause: nothing of the version falls due until it resumes."""
        i = journey_instances.c
        self._c.execute(
            update(journey_instances)
            .where(i.definition_id == definition_id, i.status == WAITING, i.due_ms.is_not(None))
            .values(held_due_ms=i.due_ms, due_ms=None)
        )

    def release_version(self, definition_id: str, extend_ms: int, now_ms: int) -> None:
        """Resume: held waits fall due again (Wait-by-Duration ends moved by `extend_ms`), and queued
        entries start now."""
        i = journey_instances.c
        extended = i.held_due_ms + case((i.wait_kind == "duration", extend_ms), else_=0)
        # What fell due during the pause is worked at resume, not back in the pause.
        self._c.execute(
            update(journey_instances)
            .where(i.definition_id == definition_id, i.held_due_ms.is_not(None))
            .values(due_ms=case((extended < now_ms, now_ms), else_=extended), held_due_ms=None)
        )
        self._c.execute(
            update(journey_instances)
            .where(i.definition_id == definition_id, i.status == QUEUED)
            .values(due_ms=now_ms)
        )

    # --- history and outbox -------------------------------------------------------------------------

    def add_history(self, rows: list[HistoryRow]) -> None:
        _INSERT_HISTORY.execute_many(self._c, [{n: getattr(r, n) for n in _HISTORY_COLUMNS} for r in rows])

    def add_outbox(self, messages: list[OutboxMessage]) -> None:
        _INSERT_OUTBOX.execute_many(
            self._c,
            [
                {n: getattr(m, n) for n in _OUTBOX_COLUMNS} | {"data": orjson.dumps(m.data).decode("utf-8")}
                for m in messages
            ],
        )

    # --- contact attributes -------------------------------------------------------------------------

    def attributes(self, mid: int, contact_keys: list[str]) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(contact_keys):
            rows = self._c.execute(
                select(contact_attributes.c.contact_key, contact_attributes.c.attributes).where(
                    contact_attributes.c.mid == mid, contact_attributes.c.contact_key.in_(chunk)
                )
            )
            for contact_key, document in rows:
                result[contact_key] = orjson.loads(document)
        return result

    def save_attributes(self, mid: int, documents: Mapping[str, Mapping[str, Any]], now_ms: int) -> None:
        if not documents:
            return
        table = contact_attributes
        statement = _upsert(self._c)(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.mid, table.c.contact_key],
            set_={"attributes": statement.excluded.attributes, "modified_ms": statement.excluded.modified_ms},
        )
        self._c.execute(
            statement,
            [
                {
                    "mid": mid,
                    "contact_key": key,
                    "attributes": orjson.dumps(doc).decode("utf-8"),
                    "modified_ms": now_ms,
                }
                for key, doc in documents.items()
            ],
        )

    # --- stats ----------------------------------------------------------------------------------------

    def apply_stats(self, mid_of: Mapping[str, int], deltas: Mapping[str, StatsDelta]) -> None:
        table = journey_stats
        for definition_id, d in deltas.items():
            if not (d.current or d.cumulative or d.met_goal or d.met_exit):
                continue
            statement = _upsert(self._c)(table).values(
                definition_id=definition_id, mid=mid_of[definition_id], current_population=d.current,
                cumulative_population=d.cumulative, met_goal=d.met_goal, met_exit_criteria=d.met_exit,
            )  # fmt: skip
            self._c.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.definition_id],
                    set_={
                        "current_population": table.c.current_population + d.current,
                        "cumulative_population": table.c.cumulative_population + d.cumulative,
                        "met_goal": table.c.met_goal + d.met_goal,
                        "met_exit_criteria": table.c.met_exit_criteria + d.met_exit,
                    },
                )
            )

    def stats(self, definition_ids: list[str]) -> dict[str, JourneyStats]:
        if not definition_ids:
            return {}
        t = journey_stats.c
        rows = self._c.execute(
            select(t.definition_id, t.current_population, t.cumulative_population, t.met_goal, t.met_exit_criteria)
            .where(t.definition_id.in_(definition_ids))
        )  # fmt: skip
        return {r[0]: JourneyStats(int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}

    # --- sweeps -----------------------------------------------------------------------------------------

    def schedule_sweep(self, definition_id: str, mid: int, due_ms: int) -> None:
        statement = _upsert(self._c)(engine_sweeps).values(
            definition_id=definition_id, mid=mid, due_ms=due_ms, cursor=None
        )
        self._c.execute(
            statement.on_conflict_do_update(
                index_elements=[engine_sweeps.c.definition_id], set_={"due_ms": due_ms, "cursor": None}
            )
        )

    def due_sweep(self, until_ms: int) -> tuple[str, int, int, str | None] | None:
        query = (
            select(
                engine_sweeps.c.definition_id,
                engine_sweeps.c.mid,
                engine_sweeps.c.due_ms,
                engine_sweeps.c.cursor,
            )
            .where(engine_sweeps.c.due_ms <= until_ms)
            .order_by(engine_sweeps.c.due_ms, engine_sweeps.c.definition_id)
            .limit(1)
        )
        if _postgresql(self._c):
            query = query.with_for_update(skip_locked=True)
        row = self._c.execute(query).first()
        return None if row is None else (row[0], int(row[1]), int(row[2]), row[3])

    def move_sweep(self, definition_id: str, due_ms: int, cursor: str | None) -> None:
        self._c.execute(
            update(engine_sweeps)
            .where(engine_sweeps.c.definition_id == definition_id)
            .values(due_ms=due_ms, cursor=cursor)
        )

    def drop_sweep(self, definition_id: str) -> None:
        self._c.execute(delete(engine_sweeps).where(engine_sweeps.c.definition_id == definition_id))

    # --- exit requests ----------------------------------------------------------------------------------

    def add_exit_requests(self, requests: list[ExitRequest]) -> None:
        if not requests:
            return
        self._c.execute(
            exit_requests.insert(),
            [
                {"mid": r.mid, "contact_key": r.contact_key, "journey_key": r.journey_key,
                 "versions": None if r.versions is None else orjson.dumps(list(r.versions)).decode(),
                 "requested_ms": r.requested_ms, "done_ms": None, "outcome": None}
                for r in requests
            ],
        )  # fmt: skip

    def due_exit_requests(self, until_ms: int, limit: int) -> list[ExitRequest]:
        query = (
            select(exit_requests)
            .where(exit_requests.c.done_ms.is_(None), exit_requests.c.requested_ms <= until_ms)
            .order_by(exit_requests.c.requested_ms, exit_requests.c.pk)
            .limit(limit)
        )
        if _postgresql(self._c):
            query = query.with_for_update(skip_locked=True)
        return [_to_exit(row) for row in self._c.execute(query)]

    def finish_exit_request(self, pk: int, done_ms: int, outcome: list[dict[str, Any]]) -> None:
        self._c.execute(
            update(exit_requests)
            .where(exit_requests.c.pk == pk)
            .values(done_ms=done_ms, outcome=orjson.dumps(outcome).decode("utf-8"))
        )

    def latest_exit_request(self, mid: int, contact_key: str, journey_key: str) -> ExitRequest | None:
        row = self._c.execute(
            select(exit_requests)
            .where(
                exit_requests.c.mid == mid,
                exit_requests.c.contact_key == contact_key,
                exit_requests.c.journey_key == journey_key,
            )
            .order_by(exit_requests.c.pk.desc())
            .limit(1)
        ).first()
        return None if row is None else _to_exit(row)


def _to_exit(row: Any) -> ExitRequest:
    return ExitRequest(
        mid=row.mid,
        contact_key=row.contact_key,
        journey_key=row.journey_key,
        versions=None if row.versions is None else tuple(orjson.loads(row.versions)),
        requested_ms=row.requested_ms,
        done_ms=row.done_ms,
        outcome=None if row.outcome is None else tuple(orjson.loads(row.outcome)),
        pk=row.pk,
    )
