"""Snapshot documents: the checks on import, and that every state table can be carried."""

from __future__ import annotations

from typing import Any

import pytest

from journeystack.domain.snapshot import (
    MAX_PROBLEMS,
    ColumnInfo,
    Kind,
    TableInfo,
    build_document,
    parse_snapshot,
    tables_in_scope,
)
from journeystack.errors import InvalidSnapshot
from journeystack.storage.sql.admin import SqlStateStore, surrogate_key, table_info
from journeystack.storage.sql.tables import metadata, tokens

THINGS = TableInfo(
    "things",
    (
        ColumnInfo("mid", Kind.INTEGER, nullable=False, required=True, bits=64),
        ColumnInfo("name", Kind.STRING, nullable=False, required=True, max_length=5),
        ColumnInfo("size", Kind.NUMBER, nullable=True, required=False),
        ColumnInfo("flag", Kind.BOOLEAN, nullable=False, required=False),
        ColumnInfo("at", Kind.DATETIME, nullable=True, required=False),
        ColumnInfo("extra", Kind.JSON, nullable=True, required=False),
        ColumnInfo("small", Kind.INTEGER, nullable=True, required=False, bits=16),
    ),
    per_business_unit=True,
)
SHARED = TableInfo("shared", (ColumnInfo("id", Kind.STRING, False, True),), per_business_unit=False)
SCHEMA = [SHARED, THINGS]


def _document(rows: list[Any], mid: int | None = None, **tables: Any) -> dict[str, Any]:
    return build_document(mid, {"things": rows, **tables})


def _problems(raw: Any, mid: int | None = None) -> list[str]:
    with pytest.raises(InvalidSnapshot) as raised:
        parse_snapshot(raw, SCHEMA, mid=mid)
    assert raised.value.code == 90002
    return [f"{p.path}: {p.message}" for p in raised.value.problems]


def test_a_good_document_is_accepted_with_every_table_of_its_scope() -> None:
    row = {
        "mid": 1,
        "name": "ab",
        "size": 2.5,
        "flag": True,
        "at": "2024-01-02T03:04:05",
        "extra": {"a": [1]},
    }
    snapshot = parse_snapshot(_document([row], shared=[{"id": "x"}]), SCHEMA)
    assert snapshot.mid is None and snapshot.tables == {"shared": [{"id": "x"}], "things": [row]}
    only_things = parse_snapshot(_document([row], mid=1), SCHEMA)
    assert only_things.mid == 1 and list(only_things.tables) == ["things"]
    assert parse_snapshot(build_document(None, {}), SCHEMA).tables == {"shared": [], "things": []}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"mid": 1}, "tables.things[0].name: tables.things[0].name is required."),
        ({"mid": 1, "name": "toolong"}, "is longer than 5 characters"),
        ({"mid": 1, "name": 5}, "name must be a string"),
        ({"mid": "1", "name": "a"}, "mid must be a whole number"),
        ({"mid": 1.0, "name": "a"}, "mid must be a whole number"),
        ({"mid": 1, "name": "a", "small": 40000}, "out of range for a 16-bit integer"),
        ({"mid": 1, "name": "a", "size": "big"}, "size must be a number"),
        ({"mid": 1, "name": "a", "size": False}, "size must be a number"),
        ({"mid": 1, "name": "a", "flag": 1}, "flag must be true or false"),
        ({"mid": 1, "name": "a", "flag": None}, "flag must not be null"),
        ({"mid": 1, "name": "a", "at": "yesterday"}, "at must be an ISO 8601 date and time"),
        ({"mid": 1, "name": "a", "colour": "red"}, "colour is not a column of things"),
        ("row", "tables.things[0] must be an object of column values."),
    ],
)
def test_bad_rows_are_named(row: Any, problem: str) -> None:
    problems = _problems(_document([row]))
    assert len(problems) == 1 and problem in problems[0]


def test_a_business_unit_document_holds_only_its_rows_and_its_tables() -> None:
    assert "tables.things[0].mid must be 1" in _problems(_document([{"mid": 2, "name": "a"}], mid=1))[0]
    problems = _problems(_document([], mid=1, shared=[]))
    assert problems == ["tables.shared: tables.shared is not a table of a business unit."]


def test_the_expected_business_unit_must_be_the_documents() -> None:
    assert "covers the whole store, not business unit 3" in _problems(_document([]), mid=3)[0]
    assert "covers business unit 1, not business unit 3" in _problems(_document([], mid=1), mid=3)[0]
    assert parse_snapshot(_document([], mid=3), SCHEMA, mid=3).mid == 3


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([], ": A snapshot must be a JSON object."),
        ({}, "format: format must be 'journeystack-snapshot'."),
        ({**build_document(None, {}), "format_version": True}, "format_version True is not supported"),
        (
            {**build_document(None, {}), "scope": {"mid": 0}},
            "scope.mid must be null or a positive whole number",
        ),
        ({**build_document(None, {}), "scope": None}, "scope must be an object"),
        ({**build_document(None, {}), "tables": None}, "tables must be an object"),
        (build_document(None, {"things": {}}), "tables.things must be a list of rows."),
        (build_document(None, {"nope": []}), "tables.nope is not a table journeystack keeps in snapshots"),
    ],
)
def test_bad_documents_are_named(raw: Any, problem: str) -> None:
    assert problem in _problems(raw)[0]


def test_problems_are_counted_up_to_a_limit_and_the_message_names_the_first() -> None:
    with pytest.raises(InvalidSnapshot) as raised:
        parse_snapshot(_document([{"mid": "x", "name": 1}] * 50), SCHEMA)
    assert len(raised.value.problems) == MAX_PROBLEMS
    assert raised.value.message == (
        "The snapshot was refused, nothing was changed: tables.things[0].mid must be a whole number. "
        f"(and {MAX_PROBLEMS - 1} more in validationErrors)"
    )


def test_scope_selects_tables_with_a_business_unit_column() -> None:
    assert tables_in_scope(SCHEMA, None) == SCHEMA
    assert tables_in_scope(SCHEMA, 5) == [THINGS]


# --- the real schema --------------------------------------------------------------------------------


def test_every_column_type_is_supported() -> None:
    """Fails when a table gains a column type snapshots cannot carry: teach storage/sql/admin.py."""
    for table in metadata.sorted_tables:
        table_info(table)


def test_snapshots_carry_every_state_table_but_tokens_and_no_surrogate_key() -> None:
    state = SqlStateStore(_NoStore())  # type: ignore[arg-type]
    names = [table.name for table in state.schema()]
    assert names == [t.name for t in metadata.sorted_tables if t is not tokens]
    for table in metadata.sorted_tables:
        key = surrogate_key(table)
        info = table_info(table)
        if key is not None:
            assert info.column(key.name) is None
        assert info.per_business_unit == ("mid" in table.c)
    assert table_info(metadata.tables["journeys"]).column("spec") == ColumnInfo(
        "spec", Kind.STRING, False, True
    )


class _NoStore:
    """SqlStateStore reads its tables at construction without touching the store."""


def test_only_declared_auto_numbered_keys_are_left_out() -> None:
    from sqlalchemy import BigInteger, Column, Integer, MetaData, Table

    scratch = MetaData()
    natural = Table("natural", scratch, Column("mid", BigInteger, primary_key=True), Column("n", Integer))
    numbered = Table("numbered", scratch, Column("pk", Integer, primary_key=True, autoincrement=True))
    assert surrogate_key(natural) is None and table_info(natural).column("mid") is not None
    assert surrogate_key(numbered) is numbered.c.pk
