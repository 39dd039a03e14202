"""Salesforce object activities (Sales and Service Cloud: create or update records). journeystack has
no Salesforce org: each activity writes an outbox message saying what it would create or update,
and gives later activities a made-up record id as `{{Interaction.<key>.salesforceObjectID}}`.

The shape read is that of real exports (arguments.objectMap.objects[]: type, action, fields[] of
FieldName / FieldValue / Processor); SFMC documents none of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

SALESFORCE_TYPES: Final = frozenset(
    {"SALESCLOUDACTIVITY", "SALESFORCESALESCLOUDACTIVITY", "OBJECTACTIVITY", "LEAD", "CAMPAIGNMEMBER"}
)
# Processors real exports use for values that are not constants.
PERSON_IN_JOURNEY: Final = "personinjourney"
DATE_CONTACT_ENTERS: Final = "datecontactenters"
_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class SalesforceField:
    name: str
    value: Any  # a template text (bound per contact), or the literal value
    processor: str  # lower-cased Processor ("static" unless a known one)


@dataclass(frozen=True, slots=True)
class SalesforceObject:
    type: str
    action: str  # Create | Update | ...
    fields: tuple[SalesforceField, ...]


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_objects(activity: Mapping[str, Any]) -> tuple[SalesforceObject, ...]:
    arguments = _object(activity.get("arguments"))
    objects = _object(arguments.get("objectMap")).get("objects")
    found = []
    for raw in objects if isinstance(objects, list) else []:
        raw = _object(raw)
        fields = []
        items = raw.get("fields")
        for item in items if isinstance(items, list) else []:
            item = _object(item)
            name = item.get("FieldName")
            if isinstance(name, str) and name:
                processor = str(item.get("Processor") or "static").lower()
                fields.append(SalesforceField(name, item.get("FieldValue"), processor))
        kind = raw.get("type")
        action = raw.get("action")
        found.append(
            SalesforceObject(
                type=kind if isinstance(kind, str) and kind else "Object",
                action=action if isinstance(action, str) and action else "Create",
                fields=tuple(fields),
            )
        )
    return tuple(found)


def record_id(instance_id: str, activity_key: str, index: int) -> str:
    """An 18-character made-up Salesforce record id, the same for the same pass and activity."""
    digest = hashlib.blake2b(f"{instance_id}/{activity_key}/{index}".encode(), digest_size=16).digest()
    number = int.from_bytes(digest, "big")
    characters = []
    for _ in range(15):
        number, remainder = divmod(number, 62)
        characters.append(_ALPHABET[remainder])
    return "a0J" + "".join(characters)


def would(action: str) -> str:
    """The outbox's wording: "would create", "would update", ..."""
    return f"would {action.strip().lower() or 'create'}"
