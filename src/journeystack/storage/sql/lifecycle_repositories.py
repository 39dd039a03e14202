"""SQL repositories of the lifecycle: operations, audit entries and event definitions."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from journeystack.domain.audit import AuditAction, AuditEntry
from journeystack.domain.events import EventDefinition
from journeystack.domain.lifecycle import Operation, OperationKind, OperationProblem, OperationState
from journeystack.domain.queries import Page
from journeystack.storage.ports import WriteConflict

from .prepared import Prepared
from .repositories import escape_like
from .tables import audit_entries, event_definitions, operations


def _problems_json(problems: tuple[OperationProblem, ...]) -> str:
    return orjson.dumps(
        [{"code": p.code, "detail": p.detail, "level": p.level, "info": p.info} for p in problems]
    ).decode()


def _problems(text: str) -> tuple[OperationProblem, ...]:
    return tuple(OperationProblem(p["code"], p["detail"], p["level"], p["info"]) for p in orjson.loads(text))


def _to_operation(row: Any) -> Operation:
    m = row._mapping
    return Operation(
        id=m["id"],
        mid=m["mid"],
        kind=OperationKind(m["kind"]),
        journey_id=m["journey_id"],
        version=m["version"],
        definition_id=m["definition_id"],
        state=OperationState(m["state"]),
        requested_by=m["requested_by"],
        created_ms=m["created_ms"],
        run_after_ms=m["run_after_ms"],
        claimed_by=m["claimed_by"],
        claimed_at_ms=m["claimed_at_ms"],
        finished_ms=m["finished_ms"],
        errors=_problems(m["errors"]),
        warnings=_problems(m["warnings"]),
        attempts=m["attempts"],
    )


class SqlOperationRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, op: Operation) -> None:
        self._c.execute(
            operations.insert().values(
                id=op.id,
                mid=op.mid,
                kind=op.kind.value,
                journey_id=op.journey_id,
                version=op.version,
                definition_id=op.definition_id,
                state=op.state.value,
                requested_by=op.requested_by,
                created_ms=op.created_ms,
                run_after_ms=op.run_after_ms,
                errors="[]",
                warnings="[]",
            )
        )

    def get(self, mid: int, operation_id: str) -> Operation | None:
        row = self._c.execute(
            select(operations).where(operations.c.mid == mid, operations.c.id == operation_id)
        ).first()
        return _to_operation(row) if row is not None else None

    def claim_due(self, now_ms: int, worker: str, lease_ms: int, limit: int) -> list[Operation]:
        """Claim operations that are due and unclaimed, or whose claim's lease ran out (dead worker).

        On PostgreSQL `FOR UPDATE SKIP LOCKED` lets many processes claim side by side; SQLite has
        one writer at a time, and ignores the clause.
        """
        claimable = and_(
            operations.c.state == OperationState.IN_PROCESS.value,
            operations.c.run_after_ms <= now_ms,
            or_(operations.c.claimed_by.is_(None), operations.c.claimed_at_ms < now_ms - lease_ms),
        )
        rows = self._c.execute(
            select(operations.c.id)
            .where(claimable)
            .order_by(operations.c.run_after_ms)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        claimed = []
        for (operation_id,) in rows:
            result = self._c.execute(
                update(operations)
                .where(operations.c.id == operation_id, claimable)
                .values(claimed_by=worker, claimed_at_ms=now_ms, attempts=operations.c.attempts + 1)
            )
            if result.rowcount == 1:
                claimed.append(operation_id)
        if not claimed:
            return []
        found = self._c.execute(select(operations).where(operations.c.id.in_(claimed))).all()
        return [_to_operation(row) for row in found]

    def finish(self, op: Operation, *, worker: str) -> bool:
        """Record the outcome, if this worker still holds the claim; True when written."""
        result = self._c.execute(
            update(operations)
            .where(
                operations.c.id == op.id,
                operations.c.claimed_by == worker,
                operations.c.state == OperationState.IN_PROCESS.value,
            )
            .values(
                state=op.state.value,
                finished_ms=op.finished_ms,
                errors=_problems_json(op.errors),
                warnings=_problems_json(op.warnings),
            )
        )
        return result.rowcount == 1


def _to_entry(row: Any) -> AuditEntry:
    m = row._mapping
    return AuditEntry(
        mid=m["mid"],
        journey_id=m["journey_id"],
        key=m["key"],
        version=m["version"],
        definition_id=m["definition_id"],
        action=AuditAction(m["action"]),
        name=m["name"],
        description=m["description"],
        execution_mode=m["execution_mode"],
        user=m["user"],
        timestamp_ms=m["timestamp_ms"],
        details=orjson.loads(m["details"]),
    )


_AUDIT_COLUMNS = [
    "mid", "journey_id", "key", "version", "definition_id", "action", "name", "description",
    "execution_mode", "user", "timestamp_ms", "details",
]  # fmt: skip
_AUDIT_INSERT = Prepared(audit_entries.insert(), column_keys=_AUDIT_COLUMNS)


class SqlAuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, entry: AuditEntry) -> None:
        _AUDIT_INSERT.execute(
            self._c,
            {
                "mid": entry.mid,
                "journey_id": entry.journey_id,
                "key": entry.key,
                "version": entry.version,
                "definition_id": entry.definition_id,
                "action": entry.action.value,
                "name": entry.name,
                "description": entry.description,
                "execution_mode": entry.execution_mode,
                "user": entry.user,
                "timestamp_ms": entry.timestamp_ms,
                "details": orjson.dumps(entry.details).decode(),
            },
        )

    def list(
        self,
        mid: int,
        journey_id: str,
        *,
        action: AuditAction | None,
        version: int | None,
        page: int,
        page_size: int,
    ) -> Page[AuditEntry]:
        conditions = [audit_entries.c.mid == mid, audit_entries.c.journey_id == journey_id]
        if action is not None:
            conditions.append(audit_entries.c.action == action.value)
        if version is not None:
            conditions.append(audit_entries.c.version == version)
        count = self._c.execute(
            select(func.count()).select_from(audit_entries).where(*conditions)
        ).scalar_one()
        rows = self._c.execute(
            select(audit_entries)
            .where(*conditions)
            .order_by(audit_entries.c.pk.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        return Page(count=count, page=page, page_size=page_size, items=[_to_entry(row) for row in rows])


_EVENT_COLUMNS = (
    event_definitions.c.mid, event_definitions.c.id, event_definitions.c.key, event_definitions.c.name,
    event_definitions.c.type, event_definitions.c.created_ms, event_definitions.c.modified_ms,
    event_definitions.c.created_by, event_definitions.c.modified_by, event_definitions.c.body,
)  # fmt: skip
_EVENT_BY_KEY = Prepared(
    select(*_EVENT_COLUMNS).where(
        event_definitions.c.mid == bindparam("mid"), event_definitions.c.key == bindparam("key")
    )
)
_EVENT_BY_ID = Prepared(
    select(*_EVENT_COLUMNS).where(
        event_definitions.c.mid == bindparam("mid"), event_definitions.c.id == bindparam("id")
    )
)


def _event_from_tuple(row: tuple[Any, ...]) -> EventDefinition:
    mid, event_id, key, name, type_, created_ms, modified_ms, created_by, modified_by, body = row
    return EventDefinition(
        mid=mid, id=event_id, key=key, name=name, type=type_, created_ms=created_ms, modified_ms=modified_ms,
        created_by=created_by, modified_by=modified_by, body=orjson.loads(body),
    )  # fmt: skip


def _event_values(event: EventDefinition) -> dict[str, Any]:
    return {
        "key": event.key,
        "name": event.name,
        "type": event.type,
        "modified_ms": event.modified_ms,
        "modified_by": event.modified_by,
        "body": orjson.dumps(event.body).decode(),
    }


class SqlEventDefinitionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, mid: int, *, key: str | None = None, event_id: str | None = None) -> EventDefinition | None:
        # Every fired event reads its definition by key: a prepared statement (docs/benchmarks.md).
        if key is not None:
            row = _EVENT_BY_KEY.first(self._c, {"mid": mid, "key": key})
        else:
            row = _EVENT_BY_ID.first(self._c, {"mid": mid, "id": event_id})
        return _event_from_tuple(row) if row is not None else None

    def add(self, event: EventDefinition) -> None:
        values = _event_values(event) | {
            "mid": event.mid,
            "id": event.id,
            "created_ms": event.created_ms,
            "created_by": event.created_by,
        }
        try:
            with self._c.begin_nested():
                self._c.execute(event_definitions.insert().values(**values))
        except IntegrityError as exc:
            raise WriteConflict(str(exc.orig)) from exc

    def replace(self, event: EventDefinition) -> None:
        """Raises WriteConflict when the new key is taken by another event definition."""
        try:
            with self._c.begin_nested():
                self._c.execute(
                    update(event_definitions)
                    .where(event_definitions.c.mid == event.mid, event_definitions.c.id == event.id)
                    .values(**_event_values(event))
                )
        except IntegrityError as exc:
            raise WriteConflict(str(exc.orig)) from exc

    def remove(self, event: EventDefinition) -> None:
        self._c.execute(
            delete(event_definitions).where(
                event_definitions.c.mid == event.mid, event_definitions.c.id == event.id
            )
        )

    def list(self, mid: int, *, name: str | None, page: int, page_size: int) -> Page[EventDefinition]:
        conditions: list[Any] = [event_definitions.c.mid == mid]
        if name:
            pattern = "%" + escape_like(name.lower()) + "%"
            conditions.append(func.lower(event_definitions.c.name).like(pattern, escape="\\"))
        count = self._c.execute(
            select(func.count()).select_from(event_definitions).where(*conditions)
        ).scalar_one()
        rows = self._c.execute(
            select(*_EVENT_COLUMNS)
            .where(*conditions)
            .order_by(event_definitions.c.name, event_definitions.c.pk)
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        return Page(
            count=count, page=page, page_size=page_size, items=[_event_from_tuple(tuple(row)) for row in rows]
        )
