"""Save-time (POST/PUT) structural checks of a journey body, under SFMC's wire names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .activities import JourneyContext, check_activity
from .problems import (
    BAD_ACTIVITY_KEY,
    BAD_ACTIVITY_TYPE,
    BAD_CONVERSION_UNIT,
    BAD_DEFINITION_TYPE,
    BAD_ENTRY_MODE,
    DUPLICATE_ACTIVITY_KEY,
    DUPLICATE_OUTCOME_KEY,
    NOT_AN_OBJECT,
    OBJECT,
    ROOT,
    SELF_NEXT,
    TOO_MANY_TRIGGERS,
    UNKNOWN_NEXT,
    WRONG_TYPE,
    Site,
    SpecProblem,
    as_number,
    as_object,
    expect,
    json_type,
    non_empty_string,
    quoted,
)

ENTRY_MODES: Final = ("NotSet", "MultipleEntries", "OnceAndDone", "SingleEntryAcrossAllVersions")
DEFINITION_TYPES: Final = ("Multistep", "Quicksend", "Transactional")
CONVERSION_UNITS: Final = ("percentage", "wholenumber")
_BIGINT: Final = 2**63

_STRING_MEMBERS: Final = (
    "name",
    "description",
    "key",
    "entryMode",
    "definitionType",
    "executionMode",
    "channel",
)
_ARRAY_MEMBERS: Final = ("triggers", "activities", "goals", "exits", "notifiers")
_OBJECT_MEMBERS: Final = ("defaults", "metaData")
# Members every trigger, activity and goal may carry, with the JSON kind each must have.
_ELEMENT_MEMBERS: Final = (
    ("key", "string"),
    ("name", "string"),
    ("description", "string"),
    ("type", "string"),
    ("arguments", "object"),
    ("configurationArguments", "object"),
    ("metaData", "object"),
    ("outcomes", "array"),
)


def check_structure(doc: Mapping[str, Any]) -> list[SpecProblem]:
    """Save-time checks of a journey body: every problem found, not just the first. Never raises.

    Null members count as absent, because the journey model fills nulls with SFMC's defaults.
    """
    if not isinstance(doc, OBJECT):
        return [ROOT.problem(NOT_AN_OBJECT, "", f"the journey must be a JSON object, not {json_type(doc)}")]
    problems: list[SpecProblem] = []
    _check_top_level(doc, problems)
    triggers = _elements(doc, "triggers", problems)
    if len(triggers) > 1:
        text = f"a journey has at most one trigger (entry event), this one has {len(triggers)}"
        problems.append(ROOT.problem(TOO_MANY_TRIGGERS, "triggers", text))
    for site, trigger in triggers:
        _check_members(site, trigger, problems)
    for member in ("goals", "exits"):
        for site, goal in _elements(doc, member, problems):
            _check_members(site, goal, problems)
            _check_conversion_unit(site, goal, problems)
    _elements(doc, "notifiers", problems)
    _check_activities(doc, problems)
    return problems


def is_api_version_05(doc: Mapping[str, Any]) -> bool:
    return as_number(doc.get("workflowApiVersion")) == 0.5


def _check_top_level(doc: Mapping[str, Any], out: list[SpecProblem]) -> None:
    for kind, names in (("string", _STRING_MEMBERS), ("array", _ARRAY_MEMBERS), ("object", _OBJECT_MEMBERS)):
        for name in names:
            if doc.get(name) is not None:
                expect(out, ROOT, name, doc[name], kind)
    category = doc.get("categoryId")
    if category is not None:
        number = as_number(category) if isinstance(category, int | float) else None
        # Folder ids are the stores' BIGINT: a larger number names no folder, on any backend.
        if number is None or not number.is_integer() or not -_BIGINT <= int(number) < _BIGINT:
            text = f"categoryId must be an integer folder id, not {quoted(category)}"
            out.append(ROOT.problem(WRONG_TYPE, "categoryId", text))
    # Case-insensitive: SFMC's JSON enum parsing ignores case.
    for name, allowed, code in (
        ("entryMode", ENTRY_MODES, BAD_ENTRY_MODE),
        ("definitionType", DEFINITION_TYPES, BAD_DEFINITION_TYPE),
    ):
        value = doc.get(name)
        if isinstance(value, str) and value.lower() not in {a.lower() for a in allowed}:
            text = f"{name} must be one of {', '.join(allowed)}, not {quoted(value)}"
            out.append(ROOT.problem(code, name, text))


def _site(member: str, index: int, element: Mapping[str, Any]) -> Site:
    path = f"{member}[{index}]"
    key = element.get("key")
    label = f"{path} (key {key!r})" if non_empty_string(key) else path
    return Site(path=path, label=label)


_Element = tuple[Site, Mapping[str, Any]]


def _elements(doc: Mapping[str, Any], member: str, out: list[SpecProblem]) -> list[_Element]:
    """The object elements of an array member; reports the elements that are not objects."""
    value = doc.get(member)
    if not isinstance(value, list | tuple):
        return []  # absent, or reported by the top-level pass
    found: list[_Element] = []
    for index, element in enumerate(value):
        if isinstance(element, OBJECT):
            found.append((_site(member, index, element), element))
        else:
            path = f"{member}[{index}]"
            text = f"each element of {member} must be an object, not {json_type(element)}"
            out.append(Site(path=path, label=path).problem(WRONG_TYPE, "", text))
    return found


def _check_members(
    site: Site, element: Mapping[str, Any], out: list[SpecProblem], skip: tuple[str, ...] = ()
) -> None:
    for name, kind in _ELEMENT_MEMBERS:
        if name not in skip and element.get(name) is not None:
            expect(out, site, name, element[name], kind)


def _check_conversion_unit(site: Site, goal: Mapping[str, Any], out: list[SpecProblem]) -> None:
    unit = as_object(goal.get("metaData")).get("conversionUnit")
    if unit is None or (isinstance(unit, str) and unit.lower() in CONVERSION_UNITS):
        return
    member = "metaData.conversionUnit"
    text = f"{member} must be percentage or wholenumber, not {quoted(unit)}"
    out.append(site.problem(BAD_CONVERSION_UNIT, member, text))


def _check_activities(doc: Mapping[str, Any], out: list[SpecProblem]) -> None:
    activities = _elements(doc, "activities", out)
    # First pass: identity. Keys must be known before any `next` or reference can be checked.
    first_with_key: dict[str, str] = {}
    types_by_key: dict[str, str] = {}
    sites: list[_Element] = []
    for plain, activity in activities:
        key, kind = activity.get("key"), activity.get("type")
        good_key = key if non_empty_string(key) else None
        site = Site(
            path=plain.path,
            label=plain.label,
            activity_key=good_key,
            activity_type=kind if isinstance(kind, str) else None,
        )
        sites.append((site, activity))
        if good_key is None:
            out.append(site.problem(BAD_ACTIVITY_KEY, "key", _needs_text("key", key)))
        elif good_key in first_with_key:
            text = f"key {good_key!r} is already used by {first_with_key[good_key]}"
            out.append(site.problem(DUPLICATE_ACTIVITY_KEY, "key", text))
        else:
            first_with_key[good_key] = site.path
            types_by_key[good_key] = kind if isinstance(kind, str) else ""
        if not non_empty_string(kind):
            out.append(site.problem(BAD_ACTIVITY_TYPE, "type", _needs_text("type", kind)))

    ctx = JourneyContext(types_by_key=types_by_key, api_version_05=is_api_version_05(doc))
    outcome_owner: dict[str, str] = {}
    for site, activity in sites:
        _check_members(site, activity, out, skip=("key", "type"))
        _check_outcomes(site, activity, first_with_key, outcome_owner, out)
        check_activity(site, activity, ctx, out)


def _needs_text(member: str, value: Any) -> str:
    if value is None:
        return f"{member} is missing; every activity needs a non-empty string {member}"
    return f"{member} must be a non-empty string, not {quoted(value)}"


def _check_outcomes(
    site: Site,
    activity: Mapping[str, Any],
    activity_keys: Mapping[str, str],
    outcome_owner: dict[str, str],
    out: list[SpecProblem],
) -> None:
    outcomes = activity.get("outcomes")
    if not isinstance(outcomes, list | tuple):
        return  # absent, or reported with the activity's members
    for index, outcome in enumerate(outcomes):
        where = f"outcomes[{index}]"
        if not isinstance(outcome, OBJECT):
            text = f"{where} must be an object, not {json_type(outcome)}"
            out.append(site.problem(WRONG_TYPE, where, text))
            continue
        for name in ("arguments", "metaData"):
            if outcome.get(name) is not None:
                expect(out, site, f"{where}.{name}", outcome[name], "object")
        key = outcome.get("key")
        if key is not None and expect(out, site, f"{where}.key", key, "string"):
            if key in outcome_owner:
                text = f"{where}.key {key!r} is already used by {outcome_owner[key]}"
                out.append(site.problem(DUPLICATE_OUTCOME_KEY, f"{where}.key", text))
            else:
                outcome_owner[key] = f"{site.path}.{where}"
        target = outcome.get("next")
        if target is None or not expect(out, site, f"{where}.next", target, "string"):
            continue
        if target not in activity_keys:
            text = f"{where}.next {target!r} names no activity in this journey"
            out.append(site.problem(UNKNOWN_NEXT, f"{where}.next", text))
        elif target == site.activity_key:
            text = f"{where}.next {target!r} points back to the activity itself"
            out.append(site.problem(SELF_NEXT, f"{where}.next", text))
