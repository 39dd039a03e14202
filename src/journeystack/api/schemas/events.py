"""Event definitions on the wire."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from journeystack.domain.dates import format_ms
from journeystack.domain.events import KEY_PATTERN, EventDefinition
from journeystack.domain.queries import Page
from journeystack.errors import InvalidRequest, Problem

from .common import COUNT, GUID, SFMC_DATE, page_of
from .journeys import problems_of

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
# Members the server owns or computes; ignored when a client sends them.
SERVER_OWNED = frozenset(
    {
        "id",
        "createdDate",
        "createdBy",
        "modifiedDate",
        "modifiedBy",
        "interactionCount",
        "publishedInteractionCount",
    }
)
ATTRIBUTES = frozenset({"eventDefinitionKey", "name", "type"})


_DATA_EXTENSION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "type": {
                        "enum": ["Text", "Number", "Decimal", "Boolean", "Date", "EmailAddress", "Phone"]
                    },
                    "isNullable": {"type": "boolean"},
                    "maxLength": {"type": "integer", "minimum": 1},
                },
            },
        },
    },
}


def _key_rule(schema: dict[str, Any]) -> None:
    """The key's characters (domain/events.py) and, on create, a data extension or a schema."""
    key = schema["properties"]["eventDefinitionKey"]
    for option in key.get("anyOf", [key]):
        if option.get("type") == "string":
            option["pattern"] = f"^{KEY_PATTERN.pattern}$"
    schema["properties"]["schema"] = {
        "anyOf": [_DATA_EXTENSION, {"type": "null"}],
        "description": "A data extension of the event's own; fired events' Data is checked against its fields.",
    }
    if "eventDefinitionKey" in schema.get("required", []):
        schema["examples"] = [
            {
                "type": "APIEvent",
                "name": "Sign-up",
                "eventDefinitionKey": "APIEvent-signup",
                "schema": {"fields": [{"name": "EmailAddress", "type": "EmailAddress"}]},
            }
        ]
        schema["anyOf"] = [
            {
                "required": ["dataExtensionId"],
                "properties": {"dataExtensionId": {"type": "string", "minLength": 1}},
            },
            {"required": ["schema"], "properties": {"schema": {"type": "object", "minProperties": 1}}},
        ]


class _EventMembers(BaseModel):
    """The members `render` answers under SFMC's types: a client's member of another type would be
    answered as sent (a `metaData` string, a `category` array), which no SFMC client can read."""

    description: StrictStr | None = None
    mode: StrictStr | None = Field(default=None, description="Production (default) or Test.")
    dataExtensionId: StrictStr | None = None
    dataExtensionName: StrictStr | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    sourceApplicationExtensionId: StrictStr | None = None
    filterDefinitionId: StrictStr | None = None
    filterDefinitionTemplate: StrictStr | None = None
    iconUrl: StrictStr | None = None
    category: StrictStr | None = None
    automationId: StrictStr | None = None
    arguments: dict[str, Any] | None = None
    configurationArguments: dict[str, Any] | None = None
    metaData: dict[str, Any] | None = None
    isVisibleInPicker: StrictBool | None = None
    isPlatformObject: StrictBool | None = None
    disableDEDataLogging: StrictBool | None = None


class EventDefinitionCreate(_EventMembers):
    model_config = ConfigDict(extra="allow", title="EventDefinitionCreate", json_schema_extra=_key_rule)

    type: StrictStr = Field(min_length=1, max_length=100, description="Event, APIEvent, EmailAudience, ...")
    name: StrictStr = Field(min_length=1, max_length=400)
    eventDefinitionKey: StrictStr = Field(min_length=1, max_length=200)


class EventDefinitionUpdate(_EventMembers):
    model_config = ConfigDict(extra="allow", title="EventDefinitionUpdate", json_schema_extra=_key_rule)

    type: StrictStr | None = Field(default=None, min_length=1, max_length=100)
    name: StrictStr | None = Field(default=None, min_length=1, max_length=400)
    eventDefinitionKey: StrictStr | None = Field(default=None, min_length=1, max_length=200)


def _members(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in SERVER_OWNED and k not in ATTRIBUTES}


def parse_create(raw: dict[str, Any]) -> tuple[EventDefinitionCreate, dict[str, Any]]:
    """Raises InvalidRequest, also when neither dataExtensionId nor schema is given."""
    try:
        model = EventDefinitionCreate.model_validate(raw)
    except ValidationError as error:
        raise InvalidRequest(problems_of(error)) from None
    if not model.dataExtensionId and not model.schema_:
        raise InvalidRequest([Problem("dataExtensionId or schema is required.", 10002, "dataExtensionId")])
    return model, _members(raw)


def parse_update(raw: dict[str, Any]) -> tuple[EventDefinitionUpdate, dict[str, Any]]:
    try:
        model = EventDefinitionUpdate.model_validate(raw)
    except ValidationError as error:
        raise InvalidRequest(problems_of(error)) from None
    return model, _members(raw)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def render(event: EventDefinition, interaction_count: int, published_count: int) -> dict[str, Any]:
    body = event.body
    data_extension_id = body.get("dataExtensionId") or ""
    wire: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "name": event.name,
        "description": body.get("description") or "",
        "createdDate": format_ms(event.created_ms),
        "createdBy": event.created_by,
        "modifiedDate": format_ms(event.modified_ms),
        "modifiedBy": event.modified_by,
        "mode": body.get("mode") or "Production",
        "eventDefinitionKey": event.key,
        "dataExtensionId": data_extension_id,
        "dataExtensionName": body.get("dataExtensionName") or "",
        "sourceApplicationExtensionId": body.get("sourceApplicationExtensionId") or ZERO_GUID,
        "filterDefinitionId": body.get("filterDefinitionId") or ZERO_GUID,
        "filterDefinitionTemplate": body.get("filterDefinitionTemplate") or "",
        "iconUrl": body.get("iconUrl") or "",
        "arguments": {
            "serializedObjectType": 11,
            "eventDefinitionId": event.id,
            "eventDefinitionKey": event.key,
            "dataExtensionId": data_extension_id,
            "criteria": "",
            **_object(body.get("arguments")),
        },
        "configurationArguments": body.get("configurationArguments") or {},
        "metaData": body.get("metaData") or {},
        "interactionCount": interaction_count,
        "isVisibleInPicker": bool(body.get("isVisibleInPicker", False)),
        "isPlatformObject": bool(body.get("isPlatformObject", False)),
        "category": body.get("category") or "Event",
        "publishedInteractionCount": published_count,
        "automationId": body.get("automationId") or ZERO_GUID,
        "disableDEDataLogging": bool(body.get("disableDEDataLogging", False)),
    }
    for member, value in body.items():
        wire.setdefault(member, value)
    return wire


_TEXT: dict[str, Any] = {"type": "string"}
# An event definition as `render` writes it; members the client sent beyond these follow them.
EVENT_DEFINITION_SCHEMA: dict[str, Any] = {
    "title": "EventDefinition",
    "type": "object",
    "required": [
        "id", "type", "name", "description", "createdDate", "createdBy", "modifiedDate", "modifiedBy",
        "mode", "eventDefinitionKey", "dataExtensionId", "dataExtensionName", "sourceApplicationExtensionId",
        "filterDefinitionId", "filterDefinitionTemplate", "iconUrl", "arguments", "configurationArguments",
        "metaData", "interactionCount", "isVisibleInPicker", "isPlatformObject", "category",
        "publishedInteractionCount", "automationId", "disableDEDataLogging",
    ],
    "properties": {
        "id": GUID,
        "type": {"type": "string", "minLength": 1, "maxLength": 100},
        "name": {"type": "string", "minLength": 1, "maxLength": 400},
        "description": _TEXT,
        "createdDate": SFMC_DATE,
        "createdBy": _TEXT,
        "modifiedDate": SFMC_DATE,
        "modifiedBy": _TEXT,
        "mode": _TEXT,
        "eventDefinitionKey": {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$"},
        "dataExtensionId": _TEXT,
        "dataExtensionName": _TEXT,
        "sourceApplicationExtensionId": _TEXT,
        "filterDefinitionId": _TEXT,
        "filterDefinitionTemplate": _TEXT,
        "iconUrl": _TEXT,
        "arguments": {"type": "object"},
        "configurationArguments": {"type": "object"},
        "metaData": {"type": "object"},
        "interactionCount": COUNT,
        "isVisibleInPicker": {"type": "boolean"},
        "isPlatformObject": {"type": "boolean"},
        "category": _TEXT,
        "publishedInteractionCount": COUNT,
        "automationId": _TEXT,
        "disableDEDataLogging": {"type": "boolean"},
    },
    "additionalProperties": True,
}  # fmt: skip
EVENT_DEFINITION_PAGE_SCHEMA: dict[str, Any] = {
    "title": "EventDefinitionPage",
    **page_of(EVENT_DEFINITION_SCHEMA),
}


def render_page(page: Page[tuple[EventDefinition, int, int]]) -> dict[str, Any]:
    return {
        "count": page.count,
        "page": page.page,
        "pageSize": page.page_size,
        "links": {},
        "items": [render(e, n, p) for e, n, p in page.items],
    }
