"""Hot statements compiled once per dialect and run on the driver connection of a unit of work.

SQLAlchemy's execution of an already-compiled statement still costs 15-25 µs a call (cache key,
parameter processing, result wrapping); SQLite itself answers a keyed read in a few. The handful of
statements every GET and PUT runs go through `Prepared` instead: the SQL text and the parameter
order are taken from SQLAlchemy's own compilation, once per dialect, and then each call is one
driver `execute` inside the unit of work's transaction. Only plain values go through it (ints,
strings, None: no type processing is needed), and integrity errors are not translated, so
statements that may conflict stay on SQLAlchemy's path (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.expression import Executable

from .engine import driver


class Prepared:
    def __init__(self, statement: Executable, *, column_keys: list[str] | None = None) -> None:
        self._statement = statement
        self._column_keys = column_keys
        # dialect name -> (SQL text, parameter names in order or None for named, literal values)
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _compile(self, connection: Connection) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        dialect = connection.dialect
        compiled = self._statement.compile(dialect=dialect, column_keys=self._column_keys)  # type: ignore[attr-defined]
        order = tuple(compiled.positiontup) if dialect.positional else None
        literals = {name: value for name, value in compiled.params.items() if value is not None}
        entry = (str(compiled), order, literals)
        self._compiled[dialect.name] = entry
        return entry

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """Run the statement in `connection`'s transaction; returns the driver's cursor."""
        entry = self._compiled.get(connection.dialect.name) or self._compile(connection)
        sql, order, literals = entry
        values = {**literals, **params} if literals else params
        if order is None:
            return driver(connection).execute(sql, values)
        return driver(connection).execute(sql, tuple([values[name] for name in order]))

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.execute(connection, params).fetchone()
        return row

    def rowcount(self, connection: Connection, params: Mapping[str, Any]) -> int:
        count: int = self.execute(connection, params).rowcount
        return count

    def execute_many(self, connection: Connection, rows: list[Mapping[str, Any]]) -> None:
        """Run the statement once per row of parameters, in one driver call."""
        if not rows:
            return
        entry = self._compiled.get(connection.dialect.name) or self._compile(connection)
        sql, order, literals = entry
        if literals:
            rows = [{**literals, **row} for row in rows]
        cursor = driver(connection).cursor()
        try:
            if order is None:
                cursor.executemany(sql, rows)
            else:
                cursor.executemany(sql, [tuple([row[name] for name in order]) for row in rows])
        finally:
            cursor.close()
