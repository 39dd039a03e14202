"""Journey bodies on the wire: parsing POST/PUT bodies into definitions, rendering versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from journeystack.domain.dates import format_ms
from journeystack.domain.journey import (
    DEFINITION_TYPES,
    ENTRY_MODES,
    WORKFLOW_API_VERSIONS,
    JourneyDefinition,
    JourneyVersion,
    Status,
    StoredJourney,
)
from journeystack.domain.queries import MAX_INTEGER, Page
from journeystack.domain.runtime.records import JourneyStats
from journeystack.errors import InvalidRequest, Problem

from .common import COUNT, GUID, SFMC_DATE, closed, page_of

# Members the server owns: ignored when a client sends them (SFMC: "can never be updated").
SERVER_OWNED = frozenset(
    {
        "id",
        "definitionId",
        "version",
        "status",
        "createdDate",
        "modifiedDate",
        "lastPublishedDate",
        "stats",
        "healthStats",
    }
)
# Members held as attributes of the definition rather than inside the Journey Spec document.
ATTRIBUTES = frozenset({"key", "name", "description", "workflowApiVersion", "entryMode", "definitionType"})

_MISSING_CODE = 10002
_TYPE_CODE = 10001
_VALUE_CODE = 10005
# Pydantic's errors for a value of the right type outside what is accepted.
_VALUE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                           "string_too_short", "string_too_long", "too_short", "too_long"})  # fmt: skip


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


# A trigger, activity, goal or exit: the members the save checks type (domain/spec/structure.py).
_ELEMENT_MEMBERS: dict[str, Any] = {
    "key": {"type": "string"},
    "name": {"type": "string"},
    "description": {"type": "string"},
    "type": {"type": "string"},
    "arguments": {"type": "object"},
    "configurationArguments": {"type": "object"},
    "metaData": {"type": "object"},
    "outcomes": {"type": "array", "items": {"type": "object"}},
}
_ELEMENT: dict[str, Any] = {"type": "object", "properties": _ELEMENT_MEMBERS}
# Every activity needs its own non-empty key and a type (`outcomes[].next` names another's key).
_ACTIVITY: dict[str, Any] = {
    "type": "object",
    "required": ["key", "type"],
    "properties": {
        **_ELEMENT_MEMBERS,
        "key": {"type": "string", "minLength": 1, "pattern": "\\S"},
        "type": {"type": "string", "minLength": 1, "pattern": "\\S"},
    },
}


def _journey_spec_checks(schema: dict[str, Any]) -> None:
    """What the save checks accept beyond the model's types (docs/lifecycle.md, save-time rules);
    the cross-references between members (an outcome's `next`, ...) JSON Schema cannot say."""
    properties = schema["properties"]
    properties["workflowApiVersion"]["enum"] = list(WORKFLOW_API_VERSIONS)
    properties["entryMode"] = _nullable({"enum": list(ENTRY_MODES), "description": "Any case is accepted."})
    properties["definitionType"] = _nullable(
        {"enum": list(DEFINITION_TYPES), "description": "Any case is accepted."}
    )
    properties["triggers"] = _nullable(
        {"type": "array", "maxItems": 1, "items": _ELEMENT, "description": "At most one entry event."}
    )
    properties["activities"] = _nullable({"type": "array", "maxItems": 1000, "items": _ACTIVITY})
    for member in ("goals", "exits"):
        properties[member] = _nullable({"type": "array", "maxItems": 100, "items": _ELEMENT})
    properties["notifiers"] = _nullable({"type": "array", "maxItems": 100, "items": {"type": "object"}})
    properties["executionMode"] = _nullable({"type": "string"})
    if "version" not in properties:  # a create: a journey the checks accept
        schema["examples"] = [
            {
                "key": "welcome-series",
                "name": "Welcome series",
                "workflowApiVersion": 1.0,
                "entryMode": "MultipleEntries",
                "triggers": [
                    {
                        "key": "TRIGGER",
                        "type": "APIEvent",
                        "metaData": {"eventDefinitionKey": "APIEvent-signup"},
                    }
                ],
                "activities": [
                    {
                        "key": "WAIT-1",
                        "type": "WAIT",
                        "outcomes": [{"key": "w1", "next": None}],
                        "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"},
                        "metaData": {"isConfigured": True},
                    }
                ],
            }
        ]


class JourneyCreate(BaseModel):
    """A journey as POSTed. Any other Journey Spec member is kept as sent."""

    model_config = ConfigDict(extra="allow", title="JourneyCreate", json_schema_extra=_journey_spec_checks)

    key: StrictStr = Field(
        min_length=1, max_length=200, description="The journey's key, unique per business unit."
    )
    name: StrictStr = Field(min_length=1, max_length=400)
    workflowApiVersion: float = Field(description="Journey Spec version: 0.5 or 1.0.")
    description: StrictStr | None = Field(default=None, max_length=4000)
    entryMode: StrictStr | None = Field(
        default=None, description="NotSet, MultipleEntries, OnceAndDone or SingleEntryAcrossAllVersions."
    )
    definitionType: StrictStr | None = Field(
        default=None, description="Multistep, Quicksend or Transactional."
    )
    triggers: list[dict[str, Any]] | None = Field(default=None, max_length=10)
    activities: list[dict[str, Any]] | None = Field(default=None, max_length=1000)
    goals: list[dict[str, Any]] | None = Field(default=None, max_length=100)
    exits: list[dict[str, Any]] | None = Field(default=None, max_length=100)
    notifiers: list[Any] | None = Field(default=None, max_length=100)
    defaults: dict[str, Any] | None = None
    metaData: dict[str, Any] | None = None

    @field_validator("workflowApiVersion", mode="before")
    @classmethod
    def _known_version(cls, value: Any) -> Any:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or float(value) not in WORKFLOW_API_VERSIONS
        ):
            raise ValueError("workflowApiVersion must be the number 0.5 or 1.0")
        return value


class JourneyUpdate(JourneyCreate):
    """A journey version as PUT: `version` selects it, `modifiedDate` must match the stored one."""

    model_config = ConfigDict(extra="allow", title="JourneyUpdate", json_schema_extra=_journey_spec_checks)

    version: int = Field(ge=1, le=MAX_INTEGER, description="The version to update.")
    modifiedDate: StrictStr | None = Field(
        default=None, description="Must equal, character for character, the modifiedDate last returned."
    )

    @field_validator("version", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("version must be a whole number")
        return value


def problems_of(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        if item["type"] == "missing":
            problems.append(Problem(f"{where} is required.", _MISSING_CODE, where))
        elif item["type"] in _VALUE_ERRORS:
            problems.append(Problem(f"{where}: {item['msg']}.", _VALUE_CODE, where))
        else:
            problems.append(Problem(f"{where}: {item['msg']}.", _TYPE_CODE, where))
    return problems


def _definition(model: JourneyCreate, raw: dict[str, Any]) -> JourneyDefinition:
    spec = {name: value for name, value in raw.items() if name not in SERVER_OWNED and name not in ATTRIBUTES}
    return JourneyDefinition.build(
        key=model.key,
        name=model.name,
        workflow_api_version=model.workflowApiVersion,
        description=model.description,
        entry_mode=model.entryMode,
        definition_type=model.definitionType,
        spec=spec,
    )


def parse_create(raw: dict[str, Any]) -> JourneyDefinition:
    """Raises InvalidRequest naming every missing or ill-typed field."""
    try:
        model = JourneyCreate.model_validate(raw)
    except ValidationError as error:
        raise InvalidRequest(problems_of(error)) from None
    return _definition(model, raw)


def parse_update(raw: dict[str, Any]) -> tuple[JourneyDefinition, int, str | None]:
    """The definition, the version it targets and the modifiedDate the client saw."""
    try:
        model = JourneyUpdate.model_validate(raw)
    except ValidationError as error:
        raise InvalidRequest(problems_of(error)) from None
    return _definition(model, raw), model.version, model.modifiedDate


STATS_SCHEMA: dict[str, Any] = closed(
    {
        "currentPopulation": COUNT,
        "cumulativePopulation": COUNT,
        "metGoal": COUNT,
        "metExitCriteria": COUNT,
        "goalPerformance": {"type": "number", "minimum": 0},
    }
)
# A journey version as `render` writes it: the head, the Journey Spec document as the client sent it
# (defaults filled in), then the tail. A list item leaves out activities and triggers unless asked.
JOURNEY_SCHEMA: dict[str, Any] = {
    "title": "Journey",
    "type": "object",
    "required": [
        "id", "key", "name", "lastPublishedDate", "description", "version", "workflowApiVersion",
        "createdDate", "modifiedDate", "entryMode", "definitionType", "status", "definitionId",
    ],
    "properties": {
        "id": GUID,
        "key": {"type": "string", "minLength": 1, "maxLength": 200},
        "name": {"type": "string", "minLength": 1, "maxLength": 400},
        "lastPublishedDate": SFMC_DATE,
        "description": {"type": "string", "maxLength": 4000},
        "version": {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER},
        "workflowApiVersion": {"enum": list(WORKFLOW_API_VERSIONS)},
        "createdDate": SFMC_DATE,
        "modifiedDate": SFMC_DATE,
        **{member: {"type": "array"} for member in ("triggers", "activities", "goals", "exits", "notifiers")},
        "defaults": {"type": "object"},
        "metaData": {"type": "object"},
        "executionMode": {"type": "string"},
        "categoryId": {"type": "integer"},
        "entryMode": {"enum": list(ENTRY_MODES)},
        "definitionType": {"enum": list(DEFINITION_TYPES)},
        "status": {"enum": [s.value for s in Status if s is not Status.DELETED]},
        "definitionId": GUID,
        "stats": STATS_SCHEMA,
    },
    "additionalProperties": True,
}  # fmt: skip
JOURNEY_PAGE_SCHEMA: dict[str, Any] = {"title": "JourneyPage", **page_of(JOURNEY_SCHEMA)}


def render_stats(stats: JourneyStats) -> dict[str, Any]:
    """A version's population, as SFMC's `stats` member (docs/runtime.md: how each is counted)."""
    return {
        "currentPopulation": stats.current_population,
        "cumulativePopulation": stats.cumulative_population,
        "metGoal": stats.met_goal,
        "metExitCriteria": stats.met_exit_criteria,
        "goalPerformance": stats.goal_performance,
    }


def _head(version: JourneyVersion) -> dict[str, Any]:
    """The members a journey's wire form starts with, before its Journey Spec document."""
    d = version.definition
    return {
        "id": version.id,
        "key": version.key,
        "name": d.name,
        "lastPublishedDate": format_ms(version.last_published_ms),
        "description": d.description,
        "version": version.version,
        "workflowApiVersion": 1 if d.workflow_api_version == 1.0 else d.workflow_api_version,
        "createdDate": format_ms(version.created_ms),
        "modifiedDate": format_ms(version.modified_ms),
    }


def _tail(version: JourneyVersion, stats: JourneyStats | None) -> dict[str, Any]:
    """The members after the Journey Spec document (none of them is ever inside it: SERVER_OWNED
    and ATTRIBUTES are kept out of the document when a body is parsed)."""
    tail: dict[str, Any] = {
        "entryMode": version.definition.entry_mode,
        "definitionType": version.definition.definition_type,
        "status": version.status.value,
        "definitionId": version.definition_id,
    }
    if stats is not None:
        tail["stats"] = render_stats(stats)
    return tail


def render(
    version: JourneyVersion, *, activities: bool = True, stats: JourneyStats | None = None
) -> dict[str, Any]:
    """A journey version as SFMC writes it."""
    wire = _head(version)
    wire.update(version.definition.spec)
    if not activities:
        # SFMC's list items carry neither (recorded mocks, fidelity audit §1): a journey's bulk.
        wire.pop("activities", None)
        wire.pop("triggers", None)
    wire.update(_tail(version, stats))
    return wire


def render_stored(stored: StoredJourney) -> bytes:
    """The same bytes as `orjson.dumps(render(version))`, the stored Journey Spec text spliced
    between the head and the tail instead of being parsed and serialized again."""
    head = orjson.dumps(_head(stored.version))
    tail = orjson.dumps(_tail(stored.version, stored.stats))
    spec = stored.spec_json.encode("utf-8")
    if len(spec) <= 2:  # "{}"
        return head[:-1] + b"," + tail[1:]
    return b"".join((head[:-1], b",", spec[1:-1], b",", tail[1:]))


def render_page(
    page: Page[JourneyVersion], *, activities: bool, stats: Mapping[str, JourneyStats] | None = None
) -> dict[str, Any]:
    return {
        "count": page.count,
        "page": page.page,
        "pageSize": page.page_size,
        "links": {},
        "items": [
            render(v, activities=activities, stats=None if stats is None else stats[v.definition_id])
            for v in page.items
        ],
    }


def parse_extras(raw: str | None) -> set[str]:
    """`extras` as a set of lower-case words (`all`, `activities`, `outcome(s)`, `stats`, ...)."""
    return {word.strip().lower() for word in (raw or "").split(",") if word.strip()}
