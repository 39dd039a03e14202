"""The control plane's SQL: readiness, reset, and snapshot export and import over every state table.

Everything here is generic over `tables.metadata.sorted_tables`, so a table added later is reset and
snapshotted without a change here; `test_every_column_type_is_supported` guards the one thing that
can break, a column type snapshots do not know how to carry.
"""

from __future__ import annotations

import functools
import secrets
from datetime import date, datetime
from itertools import groupby
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    SmallInteger,
    String,
    Table,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from journeystack.domain.journey import tag_names
from journeystack.domain.snapshot import ColumnInfo, Kind, Snapshot, TableInfo
from journeystack.storage.ports import WriteConflict
from journeystack.storage.state import Cleared

from .store import SqlStore
from .tables import journey_counts, journeys, metadata, tokens

BUSINESS_UNIT_COLUMN = "mid"


def surrogate_key(table: Table) -> Column[Any] | None:
    """The table's auto-numbered integer primary key, when no foreign key refers to it. Only a key
    declared `autoincrement=True` counts: an integer key left to SQLAlchemy's "auto" may be a natural
    one (a MID, a wire id), and keeping a value is never lossy."""
    column = table.autoincrement_column
    if column is None or column.autoincrement is not True:
        return None
    for other in metadata.tables.values():
        if any(fk.column is column for fk in other.foreign_keys):
            return None
    return column


def column_info(column: Column[Any]) -> ColumnInfo:
    """How snapshots carry a column. Raises TypeError for a type they cannot carry."""
    kind_and_extra = _kind(column)
    if kind_and_extra is None:
        raise TypeError(f"snapshots cannot carry {column.table.name}.{column.name} of type {column.type!r}")
    kind, max_length, bits = kind_and_extra
    required = not column.nullable and column.default is None and column.server_default is None
    return ColumnInfo(str(column.name), kind, bool(column.nullable), required, max_length, bits)


def _kind(column: Column[Any]) -> tuple[Kind, int | None, int | None] | None:
    kind = column.type
    if isinstance(kind, Boolean):
        return Kind.BOOLEAN, None, None
    if isinstance(kind, BigInteger):
        return Kind.INTEGER, None, 64
    if isinstance(kind, SmallInteger):
        return Kind.INTEGER, None, 16
    if isinstance(kind, Integer):
        return Kind.INTEGER, None, 32
    if isinstance(kind, Float):
        return Kind.NUMBER, None, None
    if isinstance(kind, String):
        return Kind.STRING, kind.length, None
    if isinstance(kind, DateTime | Date):
        return Kind.DATETIME, None, None
    if isinstance(kind, JSON):
        return Kind.JSON, None, None
    return None


def table_info(table: Table) -> TableInfo:
    surrogate = surrogate_key(table)
    return TableInfo(
        name=str(table.name),
        columns=tuple(
            column_info(c) for c in table.columns if c is not surrogate and c.info.get("snapshot", True)
        ),
        per_business_unit=BUSINESS_UNIT_COLUMN in table.c,
    )


def _column_names(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row)


def _to_json(kind: Kind, value: Any) -> Any:
    if kind is Kind.DATETIME and isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _from_json(column: Column[Any], kind: Kind, value: Any) -> Any:
    if kind is Kind.DATETIME and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return (
            parsed.date()
            if isinstance(column.type, Date) and not isinstance(column.type, DateTime)
            else parsed
        )
    return value


class SqlStateStore:
    """The StateStore port over a SqlStore: every table of `metadata`, in one transaction each call."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._tables = list(metadata.sorted_tables)
        # SQLAlchemy names are str subclasses, which orjson refuses as keys: answer with plain str.
        self._names = {table: str(table.name) for table in self._tables}

    @functools.cached_property
    def _infos(self) -> dict[str, TableInfo]:
        # Built on first use, so a column type snapshots cannot carry breaks snapshots, not start-up
        # (and `test_every_column_type_is_supported` says so first).
        return {table.name: table_info(table) for table in self._tables}

    def schema(self) -> list[TableInfo]:
        return [self._infos[t.name] for t in self._tables if t is not tokens]

    def readiness_problem(self) -> str | None:
        try:
            pending = self._store.pending_migrations()
        except SQLAlchemyError as error:
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()
            return f"The database is unreachable: {(detail[0] if detail else type(error).__name__)[:300]}"
        if pending:
            return "The database has migrations pending: run `journeystack db upgrade`, or restart serve."
        return None

    def reset(self, mid: int | None, *, tokens: bool) -> Cleared:
        with self._store(write=True) as uow:
            cleared = self._clear(uow.connection, mid, with_tokens=tokens)
            uow.commit()
        return cleared

    def export(self, mid: int | None) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = {}
        with self._store.consistent_read() as connection:
            for table in self._tables:
                info = self._infos[table.name]
                if table is tokens or (mid is not None and not info.per_business_unit):
                    continue
                columns = [(c.name, table.c[c.name], c.kind) for c in info.columns]
                query = select(*(column for _, column, _ in columns)).order_by(*table.primary_key.columns)
                if mid is not None:
                    query = query.where(table.c[BUSINESS_UNIT_COLUMN] == mid)
                result[info.name] = [
                    {name: _to_json(kind, value) for (name, _, kind), value in zip(columns, row, strict=True)}
                    for row in connection.execute(query)
                ]
        return result

    def replace(self, snapshot: Snapshot) -> tuple[Cleared, dict[str, int]]:
        inserted: dict[str, int] = {}
        try:
            with self._store(write=True) as uow:
                connection = uow.connection
                cleared = self._clear(connection, snapshot.mid, with_tokens=False)
                for table in self._tables:
                    rows = snapshot.tables.get(table.name)
                    if rows is None:
                        continue
                    self._insert(connection, table, rows)
                    inserted[self._names[table]] = len(rows)
                self._advance_sequences(connection)
                # Positions other processes remember for the old rows must not match the new ones.
                connection.execute(update(journey_counts).values(generation=secrets.randbits(62)))
                uow.commit()
        except IntegrityError as error:
            raise WriteConflict(str(error.orig).strip().splitlines()[0]) from error
        return cleared, inserted

    def _clear(self, connection: Connection, mid: int | None, *, with_tokens: bool) -> Cleared:
        targets = [
            table
            for table in self._tables
            if (table is not tokens or with_tokens) and (mid is None or BUSINESS_UNIT_COLUMN in table.c)
        ]
        self._lock(connection, targets)
        deleted: dict[str, int] = {}
        for table in reversed(targets):  # children before the parents they refer to
            statement = table.delete()
            if mid is not None:
                statement = statement.where(table.c[BUSINESS_UNIT_COLUMN] == mid)
            deleted[self._names[table]] = connection.execute(statement).rowcount
        return Cleared(
            deleted={self._names[t]: deleted[self._names[t]] for t in targets},
            kept=[self._names[t] for t in self._tables if t not in targets],
        )

    def _insert(self, connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        info = self._infos[table.name]
        kinds = {c.name: c.kind for c in info.columns}

        def converted(row: dict[str, Any]) -> dict[str, Any]:
            values = {name: _from_json(table.c[name], kinds[name], value) for name, value in row.items()}
            if table is journeys and "tags" not in values and isinstance(values.get("spec"), str):
                # A snapshot from before migration 0009: the tags its spec carries, as a save stores them.
                tags = tag_names(orjson.loads(values["spec"]))
                values["tags"] = orjson.dumps(tags).decode("utf-8") if tags else None
            return values

        # One executemany per run of rows naming the same columns, keeping the rows' order: an
        # auto-numbered key left out of the snapshot is numbered again in that order.
        for _columns, run in groupby(rows, key=_column_names):
            connection.execute(table.insert(), [converted(row) for row in run])

    def _lock(self, connection: Connection, targets: list[Table]) -> None:
        """On PostgreSQL, hold writers off every table being cleared until commit (readers go on
        reading the old state); SQLite's one writer is already the write unit of work."""
        if connection.dialect.name != "postgresql" or not targets:
            return
        quote = connection.dialect.identifier_preparer.quote
        names = ", ".join(quote(t.name) for t in targets)
        connection.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))

    def _advance_sequences(self, connection: Connection) -> None:
        """On PostgreSQL, move the sequences of auto-numbered keys a snapshot carried (those other
        tables refer to) past the highest value inserted."""
        if connection.dialect.name != "postgresql":
            return
        quote = connection.dialect.identifier_preparer.quote
        for table in self._tables:
            column = table.autoincrement_column
            if column is None or surrogate_key(table) is not None:
                continue
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f"COALESCE((SELECT MAX({quote(column.name)}) FROM {quote(table.name)}), 0) + 1, false)"
                ),
                {"table": table.name, "column": column.name},
            )
