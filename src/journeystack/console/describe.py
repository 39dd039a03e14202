"""What the canvas writes on a trigger, an activity and a path: a type, and the few facts a
person looks for (a wait's duration, an email's subject, a split's percentages, a decision's
criteria). Reads the Journey Spec document as stored; never raises on a Draft that is half done."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from journeystack.domain.runtime.criteria import Condition, ConditionSet, CriteriaError, parse_criteria
from journeystack.domain.runtime.waits import ATTRIBUTE, DATE, EVENT, WaitConfigError, parse_wait

TYPE_NAMES: Final = {
    "WAIT": "Wait",
    "EMAILV2": "Email",
    "EMAIL": "Email",
    "SMSSYNC": "SMS",
    "SMS": "SMS",
    "PUSHNOTIFICATIONACTIVITY": "Push",
    "PUSH": "Push",
    "RANDOMSPLIT": "Random split",
    "MULTICRITERIADECISION": "Decision split",
    "ENGAGEMENTDECISION": "Engagement split",
    "UPDATECONTACTDATA": "Update contact",
    "DATAEXTENSIONUPDATE": "Data extension update",
    "REST": "Custom activity",
    "RESTDECISION": "Custom split",
    "STOWAIT": "Einstein STO",
    "APIEVENT": "API event",
    "EMAILAUDIENCE": "Data extension entry",
    "AUTOMATIONAUDIENCE": "Automation entry",
}
_OPERATOR_SIGNS: Final = {
    "Equal": "=",
    "NotEqual": "≠",
    "GreaterThan": ">",
    "GreaterThanOrEqual": "≥",
    "LessThan": "<",
    "LessThanOrEqual": "≤",
}
_ACTIVITY_INDEX: Final = re.compile(r"^activities\[(\d+)\]")


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def type_name(type_text: str) -> str:
    return TYPE_NAMES.get(type_text.upper(), type_text or "Activity")


def _amount(value: float, unit: str) -> str:
    number = f"{value:g}"
    singular = unit[:-1] if unit.endswith("s") else unit
    return f"{number} {singular if abs(value) == 1 else unit}"


def wait_summary(activity: Mapping[str, Any]) -> str:
    """'1 day', 'until 2026-05-01 09:00 UTC', 'until event APIEvent-x, at most 3 days', ..."""
    try:
        spec = parse_wait(activity)
    except WaitConfigError as error:
        return f"cannot be timed: {error.message}"
    at = f" at {spec.time_of_day:%H:%M} {spec.time_zone}" if spec.time_of_day is not None else ""
    if spec.kind == DATE and spec.until_ms is not None:
        return "until " + datetime.fromtimestamp(spec.until_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    if spec.kind == ATTRIBUTE:
        offset = (
            ""
            if not spec.amount
            else f" {'+' if spec.amount > 0 else '−'} {_amount(abs(spec.amount), spec.unit)}"
        )
        return f"until {spec.attribute_expression}{offset}{at}"
    if spec.kind == EVENT:
        return f"until event {spec.event_definition_key}, at most {_amount(spec.amount, spec.unit)}"
    return _amount(spec.amount, spec.unit) + at


def _member(member: ConditionSet | Condition, depth: int) -> str:
    if isinstance(member, Condition):
        sign = _OPERATOR_SIGNS.get(member.operator)
        key = member.key.replace('"', "")
        if member.operator in ("IsNull", "IsNotNull"):
            return f"{key} {'is empty' if member.operator == 'IsNull' else 'is not empty'}"
        value = member.value if not member.value_is_reference else member.value.replace('"', "")
        return f"{key} {sign or member.operator} {value}" if sign else f"{key} {member.operator} {value}"
    inner = f" {member.operator} ".join(_member(m, depth + 1) for m in member.members)
    return f"({inner})" if depth and len(member.members) > 1 else inner


def criteria_summary(xml: Any) -> str:
    """The criteria in one line ('Crm.Tier = gold AND Orders > 3'); '' when there are none."""
    if not isinstance(xml, str) or not xml.strip():
        return ""
    try:
        parsed = parse_criteria(xml)
    except CriteriaError as error:
        return f"unreadable criteria: {error.message}"
    return _member(parsed.root, 0) if parsed.root is not None else "always"


def activity_lines(activity: Mapping[str, Any]) -> list[str]:
    """The facts written under an activity's name."""
    upper = _text(activity.get("type")).upper()
    config = _object(activity.get("configurationArguments"))
    if upper == "WAIT":
        return [wait_summary(activity)]
    if upper in ("EMAILV2", "EMAIL"):
        send = _object(config.get("triggeredSend"))
        subject = send.get("emailSubject") or send.get("dynamicEmailSubject") or config.get("subject")
        return [f"Subject: {subject}"] if isinstance(subject, str) and subject else ["No subject"]
    if upper in ("SMSSYNC", "SMS"):
        text = _object(config.get("messageConfiguration")).get("messageText") or config.get("message")
        return [f"Text: {text}"] if isinstance(text, str) and text else []
    if upper == "UPDATECONTACTDATA":
        fields = _object(_object(activity.get("arguments")).get("activityData")).get("updateContactFields")
        names = [
            f"{_text(_object(f).get('dataExtensionId'))}.{_text(_object(f).get('field'))}"
            for f in (fields if isinstance(fields, list) else [])
        ]
        return ["Sets " + ", ".join(names)] if names else []
    if upper == "REST":
        url = _object(activity.get("arguments")).get("execute")
        url = _object(url).get("url") if isinstance(url, Mapping) else None
        return [f"Calls {url}"] if isinstance(url, str) and url else []
    return []


def outcome_labels(activity: Mapping[str, Any]) -> list[str]:
    """One label per outcome, in order: its own label, and a random split's percentage or a
    decision split's criteria ('Remainder' when it has none)."""
    upper = _text(activity.get("type")).upper()
    outcomes = [o for o in (activity.get("outcomes") or []) if isinstance(o, Mapping)]
    criteria = _object(_object(activity.get("configurationArguments")).get("criteria"))
    labels = []
    for index, outcome in enumerate(outcomes):
        label = _text(_object(outcome.get("metaData")).get("label")) or ""
        if upper == "RANDOMSPLIT":
            percentage = _object(outcome.get("arguments")).get("percentage")
            label = f"{label or f'Path {index + 1}'} · {percentage}%" if percentage is not None else label
        elif upper == "MULTICRITERIADECISION":
            summary = criteria_summary(criteria.get(_text(outcome.get("key"))))
            label = f"{label or f'Path {index + 1}'}: {summary or 'Remainder'}"
        elif upper == "WAIT" and len(outcomes) > 1 and not label:
            label = "event arrived" if index == 0 else "timed out"
        labels.append(label)
    return labels


def trigger_lines(trigger: Mapping[str, Any]) -> list[str]:
    meta = _object(trigger.get("metaData"))
    event_key = meta.get("eventDefinitionKey") or trigger.get("eventDefinitionKey")
    lines = [f"Event {event_key}"] if isinstance(event_key, str) and event_key else ["No entry event"]
    summary = criteria_summary(_object(trigger.get("configurationArguments")).get("criteria"))
    if summary:
        lines.append(f"Filter: {summary}")
    return lines


def problem_place(path: str, activity_key: str | None, keys_by_index: list[str]) -> str | None:
    """The activity key a publish problem points at ('' for the trigger), or None."""
    if activity_key:
        return activity_key
    found = _ACTIVITY_INDEX.match(path or "")
    if found is not None:
        index = int(found.group(1))
        return keys_by_index[index] if index < len(keys_by_index) else None
    if (path or "").startswith("triggers"):
        return ""
    return None
