"""Retrieve filters (SimpleFilterPart / ComplexFilterPart) evaluated over flat records.

A record maps SOAP property names (dotted for nested ones: `ParentFolder.ID`) to values. Text is
compared case-insensitively, as SFMC's database collation does; numbers as numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

from .envelope import Filter, SimpleFilter

Record = Mapping[str, object]


class UnsupportedFilter(Exception):
    """A filter journeystack does not evaluate (an operator, or a value over the length limit);
    the message names it."""


def check_lengths(part: Filter | None, max_length: int) -> None:
    """Raises UnsupportedFilter when a filter value is longer than `max_length` characters."""
    stack = [part] if part is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, SimpleFilter):
            if any(len(value) > max_length for value in node.values):
                raise UnsupportedFilter(
                    f"A Value of the filter on {node.property} is longer than {max_length} characters "
                    "(JOURNEYSTACK_SOAP_MAX_FILTER_VALUE_LENGTH)."
                )
        else:
            stack.extend((node.left, node.right))


def _lookup(record: Record, name: str) -> object:
    if name in record:
        return record[name]
    lowered = name.lower()
    return next((value for key, value in record.items() if key.lower() == lowered), None)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(actual: str, expected: str) -> int:
    a, b = _number(actual), _number(expected)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    x, y = actual.lower(), expected.lower()
    return (x > y) - (x < y)


def like(actual: str, pattern: str) -> bool:
    """SQL `like` with `%` wildcards, case-insensitive, in time linear in the text: the first
    part must start the text, the last end it, and each part between is found after the one
    before it (leftmost first, which is enough for `%`, as no part can be skipped). A pattern
    without `%` means "contains", as mcdev uses it (`like '@'`)."""
    text, wanted = actual.lower(), pattern.lower()
    if "%" not in wanted:
        return wanted in text
    first, *middle, last = wanted.split("%")
    if len(first) + len(last) > len(text) or not text.startswith(first) or not text.endswith(last):
        return False
    at, end = len(first), len(text) - len(last)
    for part in middle:
        found = text.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


def _simple(part: SimpleFilter, record: Record) -> bool:
    value = _lookup(record, part.property)
    actual = _text(value)
    values = part.values
    first = values[0] if values else ""
    op = part.operator.lower()
    if op == "isnull":
        return value is None or actual == ""
    if op == "isnotnull":
        return not (value is None or actual == "")
    if op == "equals":
        return _compare(actual, first) == 0
    if op == "notequals":
        return _compare(actual, first) != 0
    if op in ("in", "isanyofvalues"):
        return any(_compare(actual, v) == 0 for v in values)
    if op == "isnotanyofvalues":
        return all(_compare(actual, v) != 0 for v in values)
    if op == "greaterthan":
        return _compare(actual, first) > 0
    if op == "greaterthanorequal":
        return _compare(actual, first) >= 0
    if op == "lessthan":
        return _compare(actual, first) < 0
    if op == "lessthanorequal":
        return _compare(actual, first) <= 0
    if op == "between" and len(values) >= 2:
        return _compare(actual, values[0]) >= 0 and _compare(actual, values[1]) <= 0
    if op == "like":
        return like(actual, first)
    if op in ("contains", "existsinstring"):
        return first.lower() in actual.lower()
    if op in ("notcontains", "notexistsinstring"):
        return first.lower() not in actual.lower()
    if op == "beginswith":
        return actual.lower().startswith(first.lower())
    if op == "endswith":
        return actual.lower().endswith(first.lower())
    raise UnsupportedFilter(f"The SimpleOperator {part.operator!r} is not supported.")


def matches(part: Filter | None, record: Record) -> bool:
    """Whether a record passes a filter (no filter: every record). Raises UnsupportedFilter."""
    if part is None:
        return True
    if isinstance(part, SimpleFilter):
        return _simple(part, record)
    op = part.operator.upper()
    if op == "AND":
        return matches(part.left, record) and matches(part.right, record)
    if op == "OR":
        return matches(part.left, record) or matches(part.right, record)
    raise UnsupportedFilter(f"The LogicalOperator {part.operator!r} is not supported.")
