"""Entry: checking a fired event's data against its event definition, and who may enter a journey.

SFMC validates `Data` against the event's data extension and admits a contact only "if contacts meet
filter and entry mode criteria". Its error texts and the order of the two checks are not public;
journeystack's choices are listed in docs/runtime.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from journeystack.errors import Problem

from .plan import MULTIPLE_ENTRIES, ONCE_AND_DONE

MAX_CONTACT_KEY_LENGTH: Final = 254  # SFMC's subscriber key limit
MAX_DATA_FIELDS: Final = 500
MAX_TEXT_LENGTH: Final = 4000  # a Text field without a MaxLength holds up to 4,000 characters in SFMC

_MISSING_FIELD = 10002
_BAD_VALUE = 10005


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    data_type: str  # lower-cased: text, number, decimal, boolean, date, emailaddress, phone, locale
    nullable: bool
    max_length: int | None


def schema_fields(event_body: Mapping[str, Any]) -> list[Field] | None:
    """The fields an event definition's schema declares, or None when it has no schema (an event on
    an existing data extension journeystack does not hold: its data is not checked)."""
    schema = event_body.get("schema")
    if not isinstance(schema, Mapping) or not isinstance(schema.get("fields"), list):
        return None
    fields = []
    for raw in schema["fields"]:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            continue
        kind = raw.get("dataType") or raw.get("type") or "Text"
        length = raw.get("maxLength", raw.get("length"))
        fields.append(
            Field(
                name=raw["name"],
                data_type=str(kind).lower(),
                nullable=raw.get("isNullable", True) is not False,
                max_length=length
                if isinstance(length, int) and not isinstance(length, bool) and length > 0
                else None,
            )
        )
    return fields


def check_contact_key(contact_key: Any, member: str) -> str | Problem:
    """The contact key, or the problem with it."""
    if contact_key is None or (isinstance(contact_key, str) and not contact_key.strip()):
        return Problem(f"{member} is required.", _MISSING_FIELD, member)
    if not isinstance(contact_key, str):
        return Problem(f"{member} must be a string.", _BAD_VALUE, member)
    if len(contact_key) > MAX_CONTACT_KEY_LENGTH:
        return Problem(f"{member} must be at most {MAX_CONTACT_KEY_LENGTH} characters.", _BAD_VALUE, member)
    return contact_key


def check_data(data: Any, fields: list[Field] | None, member: str) -> list[Problem]:
    """What is wrong with an event's Data for the event definition's schema: unknown fields, values
    of the wrong type, missing required fields (names compared case-insensitively, as data extension
    fields are). Data is checked only for events that declare a schema."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return [Problem(f"{member} must be an object of field values.", _BAD_VALUE, member)]
    if len(data) > MAX_DATA_FIELDS:
        return [Problem(f"{member} holds more than {MAX_DATA_FIELDS} fields.", _BAD_VALUE, member)]
    if fields is None:
        return []
    by_name = {f.name.lower(): f for f in fields}
    problems: list[Problem] = []
    seen: set[str] = set()
    for name, value in data.items():
        found = by_name.get(name.lower())
        path = f"{member}.{name}"
        if found is None:
            problems.append(
                Problem(f"{path} is not a field of the event definition's schema.", _BAD_VALUE, path)
            )
            continue
        seen.add(found.name.lower())
        wrong = _type_problem(found, value)
        if wrong is not None:
            problems.append(Problem(f"{path} {wrong}", _BAD_VALUE, path))
    for field in fields:
        if not field.nullable and field.name.lower() not in seen:
            path = f"{member}.{field.name}"
            problems.append(
                Problem(f"{path} is required by the event definition's schema.", _MISSING_FIELD, path)
            )
    return problems


def _type_problem(field: Field, value: Any) -> str | None:
    if value is None:
        return None if field.nullable else "must not be null."
    kind = field.data_type
    if kind in ("number", "int", "integer"):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number (Number field)."
        return None
    if kind in ("decimal", "double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return "must be a number (Decimal field)."
        return None
    if kind == "boolean":
        if isinstance(value, bool) or (
            isinstance(value, str) and value.lower() in ("true", "false", "1", "0")
        ):
            return None
        return "must be true or false (Boolean field)."
    if not isinstance(value, str):
        return f"must be a string ({field.data_type} field)."
    limit = field.max_length or MAX_TEXT_LENGTH
    if len(value) > limit:
        return f"must be at most {limit} characters."
    if kind == "date" and value and _date(value) is None:
        return "must be a date such as 2024-05-04 or 2024-05-04T09:30:00 (Date field)."
    if kind == "emailaddress" and value and "@" not in value:
        return "must be an email address (EmailAddress field)."
    return None


def _date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for pattern in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


# --- admission ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Past:
    """What the engine knows of one contact's earlier passes through a journey (all versions)."""

    entries: int  # passes ever admitted (live or ended)
    live: int  # passes still in the journey (waiting or queued)


def entry_refusal(entry_mode: str, past: Past) -> str | None:
    """Why the entry mode refuses this contact, or None when it may enter. Judged by contact key
    across every version of the journey."""
    if entry_mode == MULTIPLE_ENTRIES:
        return None
    if entry_mode == ONCE_AND_DONE:
        if past.entries:
            return (
                "The journey's entry mode is OnceAndDone (no re-entry) and the contact has entered it before."
            )
        return None
    # SingleEntryAcrossAllVersions, and NotSet (SFMC's documented default).
    if past.live:
        return (
            "The journey's entry mode is SingleEntryAcrossAllVersions (re-entry only after exiting) and the "
            "contact is still in the journey."
        )
    return None
