"""SFMC FilterDefinition criteria (entry filters, decision splits, goals, exits), compiled once.

SFMC publishes no schema and no semantics for this XML; the grammar comes from real payloads, and
every rule SFMC is silent on is a journeystack decision listed in docs/criteria.md with its test.
A document is parsed with defusedxml (no DTD, no entities), bounded in size, condition count and
nesting, and compiled into closures so that evaluating it costs a few attribute reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from .values import (
    BOOLEAN_WORDS,
    CALENDAR_UNITS,
    DAY_MS,
    EPOCH_DAY,
    Moment,
    boolean_of,
    compare_moments,
    moment_of,
    moment_of_date,
    number_of,
    shift,
    text_of,
)

MAX_BYTES: Final = 64 * 1024  # of the document, UTF-8 encoded
MAX_CONDITIONS: Final = 1000
MAX_DEPTH: Final = 32  # ConditionSets inside ConditionSets
# Below the innermost ConditionSet only Condition, AttributePath and Value may nest.
_MAX_ELEMENT_DEPTH: Final = 1 + MAX_DEPTH + 3


class _Missing:
    """The type of MISSING: one instance, distinct from None (a present attribute with no value)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

Lookup = Callable[[str], object]
_Test = Callable[[Lookup, int], bool]


class CriteriaError(ValueError):
    """A criteria document the engine cannot evaluate (malformed XML, DTD/entities, unknown operator,
    too large). `.message` is a one-line human-readable reason naming the operator/element at fault."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the operators -------------------------------------------------------------------------------

EQUAL: Final = "Equal"
NOT_EQUAL: Final = "NotEqual"
GREATER_THAN: Final = "GreaterThan"
GREATER_THAN_OR_EQUAL: Final = "GreaterThanOrEqual"
LESS_THAN: Final = "LessThan"
LESS_THAN_OR_EQUAL: Final = "LessThanOrEqual"
IS: Final = "Is"
IS_NULL: Final = "IsNull"
IS_NOT_NULL: Final = "IsNotNull"
CONTAINS: Final = "Contains"
NOT_CONTAINS: Final = "NotContains"
BEGINS_WITH: Final = "BeginsWith"
ENDS_WITH: Final = "EndsWith"
AT_OR_AFTER: Final = "AtOrAfter"
AT_OR_BEFORE: Final = "AtOrBefore"

# Canonical spellings, matched case-insensitively. Seen in journey XML: Equal, NotEqual (code#37890066827),
# GreaterThan, GreaterThanOrEqual (the JB team's 2014 sample trigger, code#12181317334), LessThanOrEqual,
# Is, IsNull, IsNotNull, Contains, NotContains, BeginsWith, AtOrAfter. Not seen, spelt as the partner
# of one that is: LessThan, EndsWith, AtOrBefore. Left out on purpose: IsNotEmpty (SFMC's validator
# rejects it, code#70152763240), Between (its value format is unknown), Before/After/IsNot (no trace).
OPERATORS: Final[Mapping[str, str]] = {
    name.lower(): name
    for name in (
        EQUAL, NOT_EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, IS,
        IS_NULL, IS_NOT_NULL, CONTAINS, NOT_CONTAINS, BEGINS_WITH, ENDS_WITH, AT_OR_AFTER, AT_OR_BEFORE,
    )
}  # fmt: skip
_NO_VALUE: Final = frozenset({IS_NULL, IS_NOT_NULL})
_DATE_OPERATORS: Final = frozenset({AT_OR_AFTER, AT_OR_BEFORE})
_TEXT_OPERATORS: Final = frozenset({CONTAINS, NOT_CONTAINS, BEGINS_WITH, ENDS_WITH})
_RELATIVE_UNITS: Final = frozenset(CALENDAR_UNITS)


# --- what a document parses into -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """One <Condition> as written; `value` is the Value text without surrounding whitespace (an
    attribute key when `value_is_reference`)."""

    key: str
    operator: str  # canonical spelling, one of OPERATORS' values
    value: str
    value_is_reference: bool = False
    is_ephemeral: bool = False  # IsEphemeralAttribute: journey data; the caller's lookup resolves it
    relationship_id: str | None = None  # AttributePath RelationshipID, for related contact records


@dataclass(frozen=True, slots=True)
class ConditionSet:
    operator: str  # "AND" or "OR"
    members: tuple[Condition | ConditionSet, ...]


def _always(_lookup: Lookup, _now_ms: int) -> bool:
    return True


def _never(_lookup: Lookup, _now_ms: int) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class Criteria:
    """Parsed criteria: what they test (`root`), which attribute keys they read (`keys`), and the
    compiled test. Build with `parse_criteria`."""

    keys: frozenset[str]
    root: ConditionSet | None = None
    _test: _Test = field(default=_always, repr=False, compare=False)

    def evaluate(self, lookup: Lookup, *, now_ms: int) -> bool:
        """Whether a contact matches. `lookup(key)` gets a Condition Key (or a ValueIsReference
        target) verbatim and answers its value or MISSING; `now_ms` fixes "today" for relative dates."""
        return self._test(lookup, now_ms)


ALWAYS: Final = Criteria(frozenset())


# --- comparing an attribute with a condition's value ----------------------------------------------


def _blank(value: object) -> bool:
    """SQL NULL, as SFMC's filters see it: no attribute, None, or text of nothing but whitespace."""
    return value is MISSING or value is None or (isinstance(value, str) and (not value or value.isspace()))


@dataclass(frozen=True, slots=True)
class _Operand:
    """The right-hand side of a condition, in every form it may be compared in. `number` wins over
    `moment`, which wins over `text`: the operand's own form decides how the attribute is read."""

    text: str
    number: Decimal | None
    moment: Moment | None
    boolean: bool | None


def _operand(value: object) -> _Operand:
    number = number_of(value)
    return _Operand(
        text_of(value), number, None if number is not None else moment_of(value), boolean_of(value)
    )


def _compare(value: object, other: _Operand, *, total: bool) -> int | None:
    """-1, 0 or 1. An attribute that cannot be read in the operand's form (a number, a date) is
    compared as text when `total` (Equal, NotEqual), and is incomparable (None) otherwise."""
    if other.number is not None:
        number = number_of(value)
        if number is not None:
            return (number > other.number) - (number < other.number)
    elif other.moment is not None:
        moment = moment_of(value)
        if moment is not None:
            return compare_moments(moment, other.moment)
    else:
        total = True
    if not total:
        return None
    text = text_of(value)
    return (text > other.text) - (text < other.text)


def _ordered(accept: Callable[[int], bool]) -> Callable[[object, _Operand], bool]:
    def check(value: object, other: _Operand) -> bool:
        order = _compare(value, other, total=False)
        return order is not None and accept(order)

    return check


def _dated(accept: Callable[[int], bool]) -> Callable[[object, _Operand], bool]:
    def check(value: object, other: _Operand) -> bool:
        moment = moment_of(value)
        return (
            moment is not None and other.moment is not None and accept(compare_moments(moment, other.moment))
        )

    return check


def _is(value: object, other: _Operand) -> bool:
    flag = boolean_of(value)
    return flag is not None and flag == other.boolean


_CHECKS: Final[Mapping[str, Callable[[object, _Operand], bool]]] = {
    EQUAL: lambda value, other: _compare(value, other, total=True) == 0,
    NOT_EQUAL: lambda value, other: _compare(value, other, total=True) != 0,
    GREATER_THAN: _ordered(lambda order: order > 0),
    GREATER_THAN_OR_EQUAL: _ordered(lambda order: order >= 0),
    LESS_THAN: _ordered(lambda order: order < 0),
    LESS_THAN_OR_EQUAL: _ordered(lambda order: order <= 0),
    IS: _is,
    CONTAINS: lambda value, other: other.text in text_of(value),
    NOT_CONTAINS: lambda value, other: other.text not in text_of(value),
    BEGINS_WITH: lambda value, other: text_of(value).startswith(other.text),
    ENDS_WITH: lambda value, other: text_of(value).endswith(other.text),
    AT_OR_AFTER: _dated(lambda order: order >= 0),
    AT_OR_BEFORE: _dated(lambda order: order <= 0),
}


# --- relative dates: `;-;14;days` is today minus 14 days ------------------------------------------


def _parse_relative(text: str) -> tuple[int, str] | None:
    parts = text.split(";")
    if len(parts) != 4 or parts[0] or parts[1] not in ("+", "-"):
        return None
    amount, unit = parts[2].strip(), parts[3].strip().lower()
    if not (amount.isascii() and amount.isdigit() and len(amount) <= 9) or unit not in _RELATIVE_UNITS:
        return None
    return (-int(amount) if parts[1] == "-" else int(amount)), unit


def _relative_operand(text: str, amount: int, unit: str) -> Callable[[int], _Operand]:
    """Today is the UTC date of the engine's clock; the answer is kept for the day it was asked for."""
    memo: list[tuple[int, _Operand | None]] = [(0, None)]

    def at(now_ms: int) -> _Operand:
        today, operand = memo[0]
        if operand is None or today != now_ms // DAY_MS:
            today = now_ms // DAY_MS
            moment = moment_of_date(shift(date.fromordinal(EPOCH_DAY + today), amount, unit))
            operand = _Operand(text.casefold(), None, moment, None)
            memo[0] = (today, operand)
        return operand

    return at


# --- compiling -----------------------------------------------------------------------------------


def _name(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1].lower()


def _attributes(element: Element) -> dict[str, str]:
    """Attribute names matched case-insensitively: payloads spell them `Key`, `key`, `ID`, `Id`."""
    return {name.rsplit("}", 1)[-1].lower(): value for name, value in element.attrib.items()}


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1")


def _all(tests: list[_Test]) -> _Test:
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda lookup, now_ms: a(lookup, now_ms) and b(lookup, now_ms)
    members = tuple(tests)

    def every(lookup: Lookup, now_ms: int) -> bool:
        for test in members:
            if not test(lookup, now_ms):
                return False
        return True

    return every


def _any(tests: list[_Test]) -> _Test:
    if not tests:
        return _never
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda lookup, now_ms: a(lookup, now_ms) or b(lookup, now_ms)
    members = tuple(tests)

    def some(lookup: Lookup, now_ms: int) -> bool:
        for test in members:
            if test(lookup, now_ms):
                return True
        return False

    return some


class _Compiler:
    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.count = 0

    def condition_set(self, element: Element) -> tuple[ConditionSet, _Test]:
        operator = _attributes(element).get("operator", "").strip().upper()
        if operator not in ("AND", "OR"):
            raise CriteriaError(f"A ConditionSet has Operator {operator!r}; it must be AND or OR.")
        members: list[Condition | ConditionSet] = []
        tests: list[_Test] = []
        for child in element:
            name = _name(child)
            member: Condition | ConditionSet
            if name == "condition":
                member, test = self.condition(child)
            elif name == "conditionset":
                member, test = self.condition_set(child)
            else:
                raise CriteriaError(
                    f"A ConditionSet holds a <{child.tag}>; only Condition and ConditionSet may."
                )
            members.append(member)
            tests.append(test)
        return ConditionSet(operator, tuple(members)), (_all if operator == "AND" else _any)(tests)

    def condition(self, element: Element) -> tuple[Condition, _Test]:
        self.count += 1
        attributes = _attributes(element)
        key = (attributes.get("key") or attributes.get("id") or "").strip()
        where = f"Condition {self.count}" + (f" (Key {key!r})" if key else "")
        if not key:
            raise CriteriaError(f"{where} has no Key (nor a legacy ID).")
        spelled = attributes.get("operator", "").strip()
        operator = OPERATORS.get(spelled.lower())
        if operator is None:
            raise CriteriaError(f"{where} has operator {spelled!r}, which journeystack does not evaluate.")
        value, relationship = _value(element, where)
        if value is None and operator not in _NO_VALUE:
            raise CriteriaError(f"{where}: operator {operator} needs a <Value>.")
        condition = Condition(
            key,
            operator,
            value or "",
            value_is_reference=_flag(attributes.get("valueisreference")),
            is_ephemeral=_flag(attributes.get("isephemeralattribute")),
            relationship_id=relationship,
        )
        self.keys.add(key)
        return condition, self._test(condition, where)

    def _test(self, condition: Condition, where: str) -> _Test:
        key, operator, value = condition.key, condition.operator, condition.value
        if operator in _NO_VALUE:
            if operator == IS_NULL:
                return lambda lookup, _now_ms: _blank(lookup(key))
            return lambda lookup, _now_ms: not _blank(lookup(key))
        check = _CHECKS[operator]
        if condition.value_is_reference:
            if not value:
                raise CriteriaError(f"{where}: ValueIsReference is set but the Value names no attribute.")
            self.keys.add(value)

            def referenced(lookup: Lookup, _now_ms: int) -> bool:
                attribute, other = lookup(key), lookup(value)
                return not _blank(attribute) and not _blank(other) and check(attribute, _operand(other))

            return referenced
        if operator == IS and value.casefold() not in BOOLEAN_WORDS:
            raise CriteriaError(f"{where}: operator Is needs true or false, not {value!r}.")
        relative = _parse_relative(value)
        if relative is not None and operator not in _TEXT_OPERATORS:
            operand_at = _relative_operand(value, *relative)
            return lambda lookup, now_ms: not _blank(v := lookup(key)) and check(v, operand_at(now_ms))
        if value.startswith((";+;", ";-;")):
            what = "is not a relative date" if relative is None else "is a relative date"
            raise CriteriaError(
                f"{where}: {value!r} {what}, which operator {operator} cannot compare "
                f"(relative dates look like ;-;14;days, in {_units()})."
            )
        operand = _operand(value)
        if operator in _DATE_OPERATORS and operand.moment is None:
            raise CriteriaError(
                f"{where}: operator {operator} needs a date or a relative date, not {value!r}."
            )
        return lambda lookup, _now_ms: not _blank(v := lookup(key)) and check(v, operand)


def _units() -> str:
    return "/".join(sorted(_RELATIVE_UNITS))


def _value(element: Element, where: str) -> tuple[str | None, str | None]:
    """The Condition's Value text (None without a Value), found directly or in an AttributePath."""
    values: list[Element] = []
    relationship: str | None = None
    for child in element:
        name = _name(child)
        if name == "value":
            values.append(child)
        elif name == "attributepath":
            relationship = _attributes(child).get("relationshipid")
            for inner in child:
                if _name(inner) != "value":
                    raise CriteriaError(f"{where}: an AttributePath holds a <{inner.tag}>; only Value may.")
                values.append(inner)
        else:
            raise CriteriaError(f"{where} holds a <{child.tag}>; only Value and AttributePath may.")
    if len(values) > 1:
        raise CriteriaError(f"{where} has {len(values)} Values; one is allowed.")
    if not values:
        return None, relationship
    if len(values[0]):
        raise CriteriaError(f"{where}: its Value holds elements; it must hold text (CDATA).")
    # Pretty-printed payloads put whitespace around the CDATA; it is never part of the value.
    return (values[0].text or "").strip(), relationship


def _check_bounds(root: Element) -> None:
    """Condition count and nesting, checked without recursion before anything recurses."""
    conditions = 0
    stack = [(root, 1, 0)]
    while stack:
        element, depth, sets = stack.pop()
        name = _name(element)
        if name == "conditionset":
            sets += 1
            if sets > MAX_DEPTH:
                raise CriteriaError(f"ConditionSets are nested deeper than {MAX_DEPTH} levels.")
        elif name == "condition":
            conditions += 1
            if conditions > MAX_CONDITIONS:
                raise CriteriaError(f"The criteria hold more than {MAX_CONDITIONS} Conditions.")
        if depth > _MAX_ELEMENT_DEPTH:
            raise CriteriaError(
                f"The criteria's elements are nested deeper than {_MAX_ELEMENT_DEPTH} levels."
            )
        stack.extend((child, depth + 1, sets) for child in element)


def parse_criteria(xml: str) -> Criteria:
    """Criteria from FilterDefinition XML. Raises CriteriaError. An empty/whitespace-only string or a
    FilterDefinition with no conditions is criteria that always match."""
    if not xml.strip():
        return ALWAYS
    if len(xml) > MAX_BYTES or len(xml.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise CriteriaError(f"The criteria are larger than {MAX_BYTES} bytes.")
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise CriteriaError("The criteria contain a DTD (<!DOCTYPE>), which is not allowed.") from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise CriteriaError("The criteria declare or reference entities, which is not allowed.") from None
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise CriteriaError(f"The criteria are not well-formed XML: {error}.") from None
    if _name(root) != "filterdefinition":
        raise CriteriaError(f"The criteria's root element is <{root.tag}>, not <FilterDefinition>.")
    _check_bounds(root)
    children = list(root)
    if not children:
        return ALWAYS
    if len(children) > 1 or _name(children[0]) != "conditionset":
        raise CriteriaError("A FilterDefinition must hold exactly one ConditionSet.")
    compiler = _Compiler()
    top, test = compiler.condition_set(children[0])
    if compiler.count == 0:
        return Criteria(frozenset(), top)
    return Criteria(frozenset(compiler.keys), top, test)
