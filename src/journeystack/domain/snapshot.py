"""Snapshot documents: the file format the control plane exports state in, and the checks on import.

A snapshot is journeystack's own format, not SFMC's, so it keeps storage's snake_case names:

    {"format": "journeystack-snapshot", "format_version": 1, "scope": {"mid": null | MID},
     "tables": {"<table>": [{"<column>": value, ...}, ...], ...}}

Rows are objects of column values, in primary-key order. Surrogate keys (auto-numbered integer
primary keys no other table refers to) are left out: the store numbers rows again on import, in the
order given, so the only thing they are observable through, ordering, survives the round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NoReturn

import orjson

from journeystack.errors import InvalidSnapshot, Problem

from .folders import (
    FIRST_FOLDER_ID,
    JOURNEY_CONTENT_TYPE,
    ROOT_PARENT_ID,
    category_of,
    root_journey_folder,
    stand_in_folder,
)
from .queries import MAX_BIG_INTEGER as MAX_FOLDER_ID
from .snapshot_rows import ROW_RULES

FORMAT = "journeystack-snapshot"
FORMAT_VERSION = 1
# Past this many problems a document is refused without looking further.
MAX_PROBLEMS = 20

_TYPE = 10001
_MISSING = 10002
_VALUE = 10005


class Kind(StrEnum):
    """What a column holds, as JSON can carry it."""

    INTEGER = "integer"
    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "datetime"  # an ISO 8601 string
    JSON = "json"  # any JSON value


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    name: str
    kind: Kind
    nullable: bool
    # Must be present in every row: not nullable and without a default.
    required: bool
    max_length: int | None = None
    # For integers: the width in bits of the signed column.
    bits: int | None = None


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One state table as snapshots see it: the columns a row may carry."""

    name: str
    columns: tuple[ColumnInfo, ...]
    # Has a `mid` column: its rows belong to one business unit each.
    per_business_unit: bool

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A checked snapshot: every table of its scope, in schema order, each with its rows."""

    mid: int | None
    tables: dict[str, list[dict[str, Any]]]


def tables_in_scope(schema: Iterable[TableInfo], mid: int | None) -> list[TableInfo]:
    """The tables a snapshot or reset of `mid` (None: the whole store) covers."""
    return [table for table in schema if mid is None or table.per_business_unit]


def build_document(mid: int | None, tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "scope": {"mid": mid}, "tables": tables}


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, code: int, path: str) -> None:
        self.items.append(Problem(message, code, path))

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_PROBLEMS


def parse_snapshot(raw: Any, schema: list[TableInfo], *, mid: int | None = None) -> Snapshot:
    """Check a snapshot document against the store's tables.

    `mid`, when given, is the business unit the caller means to import into: the document must be
    a snapshot of that business unit. Raises InvalidSnapshot naming every problem found (up to
    MAX_PROBLEMS); nothing about the document is trusted before this returns.
    """
    problems = _Problems()
    if not isinstance(raw, dict):
        _refuse([Problem("A snapshot must be a JSON object.", _TYPE, "")])
    if raw.get("format") != FORMAT:
        problems.add(f"format must be {FORMAT!r}.", _VALUE, "format")
    version = raw.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        problems.add(
            f"format_version {version!r} is not supported; this journeystack reads {FORMAT_VERSION}.",
            _VALUE,
            "format_version",
        )
    scope_mid = _scope(raw.get("scope"), problems)
    if problems.items:
        _refuse(problems.items)
    if mid is not None and scope_mid != mid:
        covered = "the whole store" if scope_mid is None else f"business unit {scope_mid}"
        _refuse([Problem(f"The snapshot covers {covered}, not business unit {mid}.", _VALUE, "scope.mid")])
    tables_raw = raw.get("tables")
    if not isinstance(tables_raw, dict):
        _refuse([Problem("tables must be an object of table name to rows.", _TYPE, "tables")])
    in_scope = {table.name: table for table in tables_in_scope(schema, scope_mid)}
    known = {table.name for table in schema}
    for name in tables_raw:
        if name not in in_scope:
            why = (
                "is not a table of a business unit"
                if name in known
                else f"is not a table journeystack keeps in snapshots (known: {', '.join(sorted(in_scope))})"
            )
            problems.add(f"tables.{name} {why}.", _VALUE, f"tables.{name}")
    result: dict[str, list[dict[str, Any]]] = {}
    for name, table in in_scope.items():
        rows = tables_raw.get(name, [])
        if not isinstance(rows, list):
            problems.add(f"tables.{name} must be a list of rows.", _TYPE, f"tables.{name}")
            continue
        result[name] = [
            row for index, row in enumerate(rows) if _check_row(table, row, index, scope_mid, problems)
        ]
        if problems.full:
            break
    if problems.items:
        _refuse(problems.items)
    return Snapshot(mid=scope_mid, tables=result)


def _scope(raw: Any, problems: _Problems) -> int | None:
    if not isinstance(raw, dict) or "mid" not in raw:
        problems.add('scope must be an object such as {"mid": null} or {"mid": 1000001}.', _TYPE, "scope")
        return None
    mid = raw["mid"]
    if mid is None:
        return None
    if isinstance(mid, bool) or not isinstance(mid, int) or mid < 1:
        problems.add("scope.mid must be null or a positive whole number.", _TYPE, "scope.mid")
        return None
    return mid


def _check_row(table: TableInfo, row: Any, index: int, mid: int | None, problems: _Problems) -> bool:
    where = f"tables.{table.name}[{index}]"
    if problems.full:
        return False
    if not isinstance(row, dict):
        problems.add(f"{where} must be an object of column values.", _TYPE, where)
        return False
    before = len(problems.items)
    for name in row:
        if table.column(name) is None:
            problems.add(f"{where}.{name} is not a column of {table.name}.", _VALUE, f"{where}.{name}")
    for column in table.columns:
        path = f"{where}.{column.name}"
        if column.name not in row:
            if column.required:
                problems.add(f"{path} is required.", _MISSING, path)
            continue
        message = _value_problem(column, row[column.name])
        if message:
            problems.add(f"{path} {message}.", _TYPE, path)
    if mid is not None and table.per_business_unit and row.get("mid") != mid:
        problems.add(f"{where}.mid must be {mid}, the snapshot's business unit.", _VALUE, f"{where}.mid")
    if len(problems.items) == before:  # the values the API reads back, once the types are right
        for name, message in ROW_RULES.get(table.name, _no_rules)(row):
            problems.add(f"{where}.{name} {message}.", _VALUE, f"{where}.{name}")
    return len(problems.items) == before


def _no_rules(_row: dict[str, Any]) -> list[tuple[str, str]]:
    return []


def _value_problem(column: ColumnInfo, value: Any) -> str | None:
    if value is None:
        return None if column.nullable else "must not be null"
    kind = column.kind
    if kind is Kind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        limit = 1 << ((column.bits or 64) - 1)
        return None if -limit <= value < limit else f"is out of range for a {column.bits}-bit integer"
    if kind is Kind.NUMBER:
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "must be a number"
    if kind is Kind.BOOLEAN:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is Kind.STRING:
        if not isinstance(value, str):
            return "must be a string"
        if column.max_length is not None and len(value) > column.max_length:
            return f"is longer than {column.max_length} characters"
        if "\x00" in value:
            return "must not contain the NUL character (U+0000), which PostgreSQL cannot store"
        return None
    if kind is Kind.DATETIME:
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return None
        return "must be an ISO 8601 date and time"
    return None  # Kind.JSON: any JSON value


def _refuse(problems: list[Problem]) -> NoReturn:
    raise InvalidSnapshot(problems)


def with_missing_journey_folders(snapshot: Snapshot, *, now_ms: int, new_id: Callable[[], str]) -> Snapshot:
    """The snapshot with a journey folder for every categoryId its journeys name that none of its
    folders has (an export from another tenant, or rows written by hand): `Folder <id>` below its
    business unit's root journey folder, the root made too when the snapshot has none. Called only
    when the import asks for it; otherwise such journeys keep naming a folder that does not exist."""
    folder_rows = list(snapshot.tables.get("folders", []))
    known = {row["id"] for row in folder_rows}
    roots = {
        row["mid"]: row
        for row in folder_rows
        if row["parent_id"] == ROOT_PARENT_ID and str(row["content_type"]).lower() == JOURNEY_CONTENT_TYPE
    }
    wanted: dict[int, int] = {}  # category -> mid
    for row in snapshot.tables.get("journeys", []):
        spec = orjson.loads(row["spec"])
        category = category_of(spec) if isinstance(spec, dict) else None
        if category is not None and 0 < category <= MAX_FOLDER_ID and category not in known:
            wanted.setdefault(category, row["mid"])
    if not wanted:
        return snapshot
    next_id = max([FIRST_FOLDER_ID - 1, *known, *wanted]) + 1
    for category, mid in sorted(wanted.items()):
        if mid not in roots:
            root = root_journey_folder(mid=mid, folder_id=next_id, object_id=new_id(), now_ms=now_ms)
            roots[mid] = asdict(root)
            folder_rows.append(roots[mid])
            next_id += 1
        folder = stand_in_folder(
            mid=mid, folder_id=category, root_id=roots[mid]["id"], object_id=new_id(), now_ms=now_ms
        )
        folder_rows.append(asdict(folder))
    return Snapshot(mid=snapshot.mid, tables={**snapshot.tables, "folders": folder_rows})
