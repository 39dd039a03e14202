"""SQL of the activities that reach outside a journey: custom-activity calls (stored, leased,
answered, applied), engagement recorded against outbox messages, and Path Optimizer tests.

A call's claim is a lease in its own short transaction: on PostgreSQL the claimers of every process
take turns under a transaction-scoped advisory lock, so counting the calls in flight per activity
and claiming more is one atomic step and `concurrentRequests` holds across processes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import orjson
from sqlalchemy import Connection, bindparam, case, delete, false, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from journeystack.domain.runtime.calls import CLAIMED, DONE, DUE, Call, CallAnswer
from journeystack.domain.runtime.effects import PathChoice
from journeystack.domain.runtime.engagement import EngagementEvent, PathTestState
from journeystack.domain.runtime.steps import OutboxMessage

from .prepared import Prepared
from .tables import engine_calls, engine_engagement, engine_outbox, engine_path_choices, engine_path_tests

CLAIM_LOCK_KEY: Final = 0x6A73_6361_6C6C_7321  # "jscalls!"
_CALL_COLUMNS: Final = [c.name for c in engine_calls.c]
_INSERT_CALL = Prepared(engine_calls.insert(), column_keys=_CALL_COLUMNS)
_COMPLETE = Prepared(
    update(engine_calls)
    .where(
        engine_calls.c.id == bindparam("w_id"),
        engine_calls.c.state == CLAIMED,
        engine_calls.c.lease_owner == bindparam("w_owner"),
    )
    .values(state=DONE, answer=bindparam("answer"))
)
_DELETE_CALL = Prepared(delete(engine_calls).where(engine_calls.c.id == bindparam("w_id")))
_CLAIM = Prepared(
    update(engine_calls)
    .where(engine_calls.c.id == bindparam("w_id"))
    .values(
        state=CLAIMED,
        lease_owner=bindparam("owner"),
        lease_until_ms=bindparam("until"),
        claims=engine_calls.c.claims + 1,
    )
)
_OUTBOX_FIELDS: Final = [c.name for c in engine_outbox.c if c.name != "pk"]
_NOT_HELD: Final = engine_calls.c.held == false()


def _postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _chunks(items: list[str], size: int = 400) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _to_call(row: Any) -> Call:
    values = dict(zip(_CALL_COLUMNS, row, strict=True))
    request = orjson.loads(values.pop("request"))
    answer = values.pop("answer")
    held = bool(values.pop("held"))
    return Call(
        **values,
        held=held,
        envelope=request["envelope"],
        headers=request.get("headers") or {},
        note=request.get("note"),
        answer=None if answer is None else CallAnswer.from_json(answer),
    )


class SqlCallRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, calls: list[Call]) -> None:
        _INSERT_CALL.execute_many(
            self._c,
            [
                {
                    "id": c.id, "mid": c.mid, "definition_id": c.definition_id, "activity_key": c.activity_key,
                    "instance_id": c.instance_id, "contact_key": c.contact_key, "due_ms": c.due_ms,
                    "state": DUE, "held": False, "lease_owner": None, "lease_until_ms": None, "claims": 0,
                    "request": orjson.dumps({"envelope": c.envelope, "headers": c.headers, "note": c.note}).decode(),
                    "answer": None,
                }
                for c in calls
            ],
        )  # fmt: skip

    def take_claim_lock(self) -> None:
        """Claimers take turns (PostgreSQL; SQLite has one writer already)."""
        if _postgresql(self._c):
            self._c.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})

    def in_flight(self, now_ms: int) -> dict[tuple[str, str], int]:
        """Calls in flight under a live lease, per (definition id, activity key)."""
        c = engine_calls.c
        rows = self._c.execute(
            select(c.definition_id, c.activity_key, func.count())
            .where(c.state == CLAIMED, c.lease_until_ms >= now_ms)
            .group_by(c.definition_id, c.activity_key)
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def has_claimable(self, now_ms: int) -> bool:
        """Whether any call waits to be made, or has a lease that ran out."""
        c = engine_calls.c
        due = select(c.id).where(c.state == DUE, _NOT_HELD).limit(1)
        expired = select(c.id).where(c.state == CLAIMED, _NOT_HELD, c.lease_until_ms < now_ms).limit(1)
        return self._c.execute(due).first() is not None or self._c.execute(expired).first() is not None

    def due_activities(self) -> set[tuple[str, str]]:
        """(definition id, activity key) of every activity with calls waiting to be made (a scan of
        one index: claims use what they already know, and look here only now and then)."""
        c = engine_calls.c
        rows = self._c.execute(
            select(c.definition_id, c.activity_key).where(c.state == DUE, _NOT_HELD).distinct()
        )
        return {(r[0], r[1]) for r in rows}

    def claimable(self, definition_id: str, activity_key: str, limit: int) -> list[str]:
        """Ids of one activity's calls waiting to be made, oldest first (one range of an index)."""
        c = engine_calls.c
        query = (
            select(c.id)
            .where(
                c.state == DUE, _NOT_HELD, c.definition_id == definition_id, c.activity_key == activity_key
            )
            .order_by(c.due_ms, c.id)
            .limit(limit)
        )
        if _postgresql(self._c):
            query = query.with_for_update(skip_locked=True)
        return [r[0] for r in self._c.execute(query)]

    def expired(self, now_ms: int, limit: int) -> list[tuple[str, str, str]]:
        """(id, definition id, activity key) of calls whose lease ran out: their claimer is presumed dead."""
        c = engine_calls.c
        query = (
            select(c.id, c.definition_id, c.activity_key)
            .where(c.state == CLAIMED, _NOT_HELD, c.lease_until_ms < now_ms)
            .order_by(c.due_ms, c.id)
            .limit(limit)
        )
        if _postgresql(self._c):
            query = query.with_for_update(skip_locked=True)
        return [(r[0], r[1], r[2]) for r in self._c.execute(query)]

    def load(self, ids: list[str]) -> list[Call]:
        found: list[Call] = []
        for chunk in _chunks(ids):
            found.extend(
                _to_call(row)
                for row in self._c.execute(select(engine_calls).where(engine_calls.c.id.in_(chunk)))
            )
        order = {call_id: index for index, call_id in enumerate(ids)}
        return sorted(found, key=lambda call: order[call.id])

    def lease(self, leases: list[tuple[str, int]], owner: str) -> None:
        """Claim calls for `owner`: (call id, lease end in wall-clock ms) each."""
        _CLAIM.execute_many(self._c, [{"w_id": i, "owner": owner, "until": until} for i, until in leases])

    def complete(self, owner: str, answers: list[tuple[str, CallAnswer]]) -> None:
        """Record answers of calls this owner still holds (a lease taken over meanwhile is not)."""
        _COMPLETE.execute_many(
            self._c, [{"w_id": call_id, "w_owner": owner, "answer": a.to_json()} for call_id, a in answers]
        )

    def recorded(self, ids: list[str]) -> list[Call]:
        """The calls of `ids` answered and not applied yet, of versions not paused, oldest first;
        locked, and skipped when another transaction holds them (PostgreSQL)."""
        found: list[Call] = []
        c = engine_calls.c
        for chunk in _chunks(ids):
            query = select(engine_calls).where(c.id.in_(chunk), c.state == DONE, _NOT_HELD)
            if _postgresql(self._c):
                query = query.with_for_update(skip_locked=True)
            found.extend(_to_call(row) for row in self._c.execute(query))
        return sorted(found, key=lambda call: (call.due_ms, call.id))

    def answered(self, until_ms: int, limit: int) -> list[Call]:
        """Answered calls due by `until_ms` whose answers wait to be applied, oldest first."""
        c = engine_calls.c
        query = (
            select(engine_calls)
            .where(c.state == DONE, _NOT_HELD, c.due_ms <= until_ms)
            .order_by(c.due_ms, c.id)
            .limit(limit)
        )
        if _postgresql(self._c):
            query = query.with_for_update(skip_locked=True)
        return [_to_call(row) for row in self._c.execute(query)]

    def delete(self, ids: list[str]) -> None:
        _DELETE_CALL.execute_many(self._c, [{"w_id": i} for i in ids])

    def drop_for_instances(self, instance_ids: list[str]) -> None:
        for chunk in _chunks(instance_ids):
            self._c.execute(delete(engine_calls).where(engine_calls.c.instance_id.in_(chunk)))

    def drop_version(self, definition_id: str) -> None:
        self._c.execute(delete(engine_calls).where(engine_calls.c.definition_id == definition_id))

    def hold_version(self, definition_id: str) -> None:
        self._c.execute(
            update(engine_calls).where(engine_calls.c.definition_id == definition_id).values(held=True)
        )

    def release_version(self, definition_id: str, now_ms: int) -> None:
        """Resume: held calls are made (and held answers applied) at resume time, not back in the pause."""
        c = engine_calls.c
        self._c.execute(
            update(engine_calls)
            .where(c.definition_id == definition_id, c.held.is_(True))
            .values(held=False, due_ms=case((c.due_ms < now_ms, now_ms), else_=c.due_ms))
        )

    def pending(self, until_ms: int | None) -> bool:
        """Whether a call is not applied yet (to make, in flight, or answered) that is due by
        `until_ms`; held ones aside."""
        c = engine_calls.c
        query = select(c.id).where(_NOT_HELD)
        if until_ms is not None:
            query = query.where(c.due_ms <= until_ms)
        return self._c.execute(query.limit(1)).first() is not None


def _upsert(connection: Connection) -> Any:
    return postgresql_insert if _postgresql(connection) else sqlite_insert


class SqlEngagementRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def message(self, pk: int) -> OutboxMessage | None:
        o = engine_outbox.c
        row = self._c.execute(
            select(*(engine_outbox.c[name] for name in _OUTBOX_FIELDS)).where(o.pk == pk)
        ).first()
        if row is None:
            return None
        values = dict(zip(_OUTBOX_FIELDS, row, strict=True))
        values["data"] = orjson.loads(values["data"])
        return OutboxMessage(**values)

    def add(self, message: OutboxMessage, event: EngagementEvent) -> None:
        self._c.execute(
            engine_engagement.insert().values(
                mid=message.mid, definition_instance_id=message.definition_instance_id,
                activity_key=message.activity_key, contact_key=message.contact_key, message_ms=message.created_ms,
                kind=event.kind, url_id=event.url_id, url=event.url, at_ms=event.at_ms,
            )
        )  # fmt: skip

    def of_message(
        self, definition_instance_id: str, activity_key: str, message_id: int = 0
    ) -> list[EngagementEvent]:
        e = engine_engagement.c
        rows = self._c.execute(
            select(e.kind, e.at_ms, e.url_id, e.url)
            .where(e.definition_instance_id == definition_instance_id, e.activity_key == activity_key)
            .order_by(e.at_ms, e.pk)
        )
        return [EngagementEvent(message_id, r[0], int(r[1]), r[2], r[3]) for r in rows]

    def path_test(self, definition_id: str, activity_key: str) -> PathTestState | None:
        t = engine_path_tests.c
        row = self._c.execute(
            select(t.started_ms, t.winner, t.decided_ms, t.summary).where(
                t.definition_id == definition_id, t.activity_key == activity_key
            )
        ).first()
        return None if row is None else PathTestState(int(row[0]), row[1], row[2], row[3])

    def save_path_test(self, mid: int, definition_id: str, activity_key: str, state: PathTestState) -> None:
        """Keep the earliest start and the first winner chosen (another process may have chosen it)."""
        table = engine_path_tests
        statement = _upsert(self._c)(table).values(
            definition_id=definition_id, activity_key=activity_key, mid=mid, started_ms=state.started_ms,
            winner=state.winner, decided_ms=state.decided_ms, summary=state.summary,
        )  # fmt: skip
        self._c.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.definition_id, table.c.activity_key],
                set_={
                    "started_ms": func.min(table.c.started_ms, statement.excluded.started_ms)
                    if not _postgresql(self._c)
                    else func.least(table.c.started_ms, statement.excluded.started_ms),
                    "winner": func.coalesce(table.c.winner, statement.excluded.winner),
                    "decided_ms": func.coalesce(table.c.decided_ms, statement.excluded.decided_ms),
                    "summary": func.coalesce(table.c.summary, statement.excluded.summary),
                },
            )
        )

    def add_path_choices(self, choices: list[PathChoice]) -> None:
        if not choices:
            return
        self._c.execute(
            engine_path_choices.insert(),
            [
                {"mid": c.mid, "definition_id": c.definition_id, "activity_key": c.activity_key,
                 "instance_id": c.instance_id, "outcome": c.outcome, "chosen_ms": c.chosen_ms}
                for c in choices
            ],
        )  # fmt: skip

    def path_results(
        self, definition_id: str, activity_key: str, until_ms: int, kinds: tuple[str, ...]
    ) -> dict[int, tuple[int, int]]:
        """Per outcome of a Path Optimizer: (passes that took it before `until_ms`, those of them
        with engagement of `kinds`, recorded by `until_ms`, on a message sent after their choice)."""
        choice = engine_path_choices.c
        e = engine_engagement.c
        engaged = (
            select(e.pk)
            .where(
                e.definition_instance_id == choice.instance_id,
                e.message_ms >= choice.chosen_ms,
                e.at_ms <= until_ms,
                e.kind.in_(kinds),
            )
            .exists()
        )
        rows = self._c.execute(
            select(choice.outcome, func.count(), func.sum(case((engaged, 1), else_=0)))
            .where(
                choice.definition_id == definition_id,
                choice.activity_key == activity_key,
                choice.chosen_ms < until_ms,
            )
            .group_by(choice.outcome)
        )
        return {int(r[0]): (int(r[1]), int(r[2] or 0)) for r in rows}
