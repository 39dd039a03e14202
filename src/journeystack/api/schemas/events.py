"""Event definitions on the wire."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from journeystack.domain.auth import package_user_id
from journeystack.domain.dates import format_ms
from journeystack.domain.events import EventDefinition
from journeystack.domain.queries import Page
from journeystack.errors import InvalidRequest, Problem

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


class EventDefinitionCreate(BaseModel):
    model_config = ConfigDict(extra="allow", title="EventDefinitionCreate")

    type: StrictStr = Field(min_length=1, max_length=100, description="Event, APIEvent, EmailAudience, ...")
    name: StrictStr = Field(min_length=1, max_length=400)
    eventDefinitionKey: StrictStr = Field(min_length=1, max_length=200)
    description: StrictStr | None = None
    mode: StrictStr | None = Field(default=None, description="Production (default) or Test.")
    dataExtensionId: StrictStr | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")


class EventDefinitionUpdate(BaseModel):
    model_config = ConfigDict(extra="allow", title="EventDefinitionUpdate")

    type: StrictStr | None = Field(default=None, min_length=1, max_length=100)
    name: StrictStr | None = Field(default=None, min_length=1, max_length=400)
    eventDefinitionKey: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    description: StrictStr | None = None


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
        "createdBy": package_user_id(event.created_by),
        "modifiedDate": format_ms(event.modified_ms),
        "modifiedBy": package_user_id(event.modified_by),
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


def render_page(page: Page[tuple[EventDefinition, int, int]]) -> dict[str, Any]:
    return {
        "count": page.count,
        "page": page.page,
        "pageSize": page.page_size,
        "links": {},
        "items": [render(e, n, p) for e, n, p in page.items],
    }
