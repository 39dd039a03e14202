"""Event definitions: the entry events journeys' triggers refer to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from journeystack.errors import InvalidRequest, Problem

# SFMC: "no special characters" in an event definition key, and no periods. Matched whole
# (fullmatch): `$` would also accept a trailing newline.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,200}")


@dataclass(frozen=True, slots=True)
class EventDefinition:
    mid: int
    id: str
    key: str
    name: str
    type: str
    created_ms: int
    modified_ms: int
    created_by: str
    modified_by: str
    # Every other member, under SFMC's names (schema, arguments, metaData, mode, ...), kept as sent.
    body: dict[str, Any]


def check_key(key: str) -> None:
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidRequest(
            [
                Problem(
                    "eventDefinitionKey may hold only letters, digits, '-' and '_'.",
                    10003,
                    "eventDefinitionKey",
                )
            ]
        )


def updated_body(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """An event's members after an update of `changes`. A schema sent again without its id keeps the
    event's data extension (SFMC's update answer names it: mcdev's recorded put-response.json)."""
    merged = {**body, **changes}
    schema, before = changes.get("schema"), body.get("schema")
    if isinstance(schema, dict) and "id" not in schema and isinstance(before, dict) and "id" in before:
        merged["schema"] = {**schema, "id": before["id"]}
    return merged


def with_data_extension(body: dict[str, Any], *, name: str, new_id: str) -> dict[str, Any]:
    """An event defined by a `schema` gets a data extension of its own (SFMC creates one)."""
    schema = body.get("schema")
    if body.get("dataExtensionId") or not isinstance(schema, dict):
        return body
    data_extension_name = (
        schema.get("name") if isinstance(schema.get("name"), str) else f"{name} - data extension"
    )
    return {
        **body,
        "dataExtensionId": new_id,
        "dataExtensionName": data_extension_name,
        "schema": {**schema, "id": new_id, "name": data_extension_name, "fields": schema.get("fields", [])},
    }
