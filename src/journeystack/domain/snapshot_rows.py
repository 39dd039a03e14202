"""What a snapshot row must hold beyond its column types: the values the API reads back.

A snapshot is imported as rows, not through the API, so without these checks a row the API would
never write (a `spec` that is not JSON, an unknown `status`) is stored, and every list of its
business unit then fails. Each rule names the column and what is wrong; rows of tables without
rules are checked by their column types alone (domain/snapshot.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from .audit import AuditAction
from .events import KEY_PATTERN
from .journey import DEFINITION_TYPES, ENTRY_MODES, WORKFLOW_API_VERSIONS, Status
from .lifecycle import OperationKind, OperationState

RowProblem = tuple[str, str]  # (column, what is wrong)


def _json(value: Any) -> tuple[bool, Any]:
    if not isinstance(value, str):
        return False, None
    try:
        return True, orjson.loads(value)
    except orjson.JSONDecodeError:
        return False, None


def _json_object(row: dict[str, Any], column: str, *, nullable: bool = False) -> list[RowProblem]:
    if column not in row or (nullable and row[column] is None):
        return []
    ok, value = _json(row[column])
    return [] if ok and isinstance(value, dict) else [(column, "must be the JSON text of an object")]


def _one_of(row: dict[str, Any], column: str, allowed: tuple[Any, ...]) -> list[RowProblem]:
    if column not in row or row[column] in allowed:
        return []
    return [(column, f"must be one of {', '.join(str(a) for a in allowed)}")]


def _journeys(row: dict[str, Any]) -> list[RowProblem]:
    problems = _one_of(row, "status", tuple(s.value for s in Status))
    problems += _one_of(row, "entry_mode", ENTRY_MODES) + _one_of(row, "definition_type", DEFINITION_TYPES)
    problems += _one_of(row, "workflow_api_version", WORKFLOW_API_VERSIONS)
    problems += _json_object(row, "spec") + _json_object(row, "pause_options", nullable=True)
    if isinstance(row.get("version"), int) and row["version"] < 1:
        problems.append(("version", "must be 1 or more"))
    return problems


def _problem_list(row: dict[str, Any], column: str) -> list[RowProblem]:
    if column not in row:
        return []
    ok, value = _json(row[column])
    good = (
        ok
        and isinstance(value, list)
        and all(
            isinstance(p, dict)
            and all(isinstance(p.get(m), str) for m in ("code", "detail", "level"))
            and isinstance(p.get("info"), dict)
            for p in value
        )
    )
    return (
        [] if good else [(column, 'must be the JSON text of a list of {"code", "detail", "level", "info"}')]
    )


def _operations(row: dict[str, Any]) -> list[RowProblem]:
    problems = _one_of(row, "kind", tuple(k.value for k in OperationKind))
    problems += _one_of(row, "state", tuple(s.value for s in OperationState))
    return problems + _problem_list(row, "errors") + _problem_list(row, "warnings")


def _audit_entries(row: dict[str, Any]) -> list[RowProblem]:
    return _one_of(row, "action", tuple(a.value for a in AuditAction)) + _json_object(row, "details")


def _event_definitions(row: dict[str, Any]) -> list[RowProblem]:
    problems = _json_object(row, "body")
    key = row.get("key")
    if isinstance(key, str) and not KEY_PATTERN.fullmatch(key):
        problems.append(("key", "may hold only letters, digits, '-' and '_'"))
    return problems


ROW_RULES: dict[str, Callable[[dict[str, Any]], list[RowProblem]]] = {
    "journeys": _journeys,
    "operations": _operations,
    "audit_entries": _audit_entries,
    "event_definitions": _event_definitions,
}
