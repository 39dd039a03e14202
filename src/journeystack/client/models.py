"""Journeys, event definitions, folders and operation outcomes as typed models.

Attributes are snake_case; on the wire they are SFMC's camelCase names. Every model keeps members it
does not declare (`extra="allow"`), and `to_wire()` gives back exactly the members that were read or
set, explicit nulls included, so a journey read, changed and written loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class WireModel(BaseModel):
    """A model of an SFMC JSON document."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object to send: the members read or set, under their wire names."""
        return self.model_dump(mode="json", exclude_unset=True)


class Outcome(WireModel):
    key: str | None = None
    next: str | None = None
    arguments: dict[str, Any] | None = None
    meta_data: dict[str, Any] | None = None


class Activity(WireModel):
    """An activity (or the trigger) of a journey."""

    id: str | None = None
    key: str | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    outcomes: list[Outcome] | None = None
    arguments: dict[str, Any] | None = None
    configuration_arguments: dict[str, Any] | None = None
    meta_data: dict[str, Any] | None = None


class Trigger(Activity):
    @property
    def event_definition_key(self) -> str | None:
        """The entry event's key: in metaData, where SFMC keeps it, or on the trigger (older spec)."""
        found = (self.meta_data or {}).get("eventDefinitionKey") or (self.model_extra or {}).get(
            "eventDefinitionKey"
        )
        return found if isinstance(found, str) else None


class Journey(WireModel):
    """A journey version (SFMC: an interaction)."""

    key: str
    name: str
    workflow_api_version: int | float = 1.0
    id: str | None = None
    definition_id: str | None = None
    version: int | None = None
    status: str | None = None
    description: str | None = None
    entry_mode: str | None = None
    definition_type: str | None = None
    category_id: int | None = None
    channel: str | None = None
    execution_mode: str | None = None
    created_date: str | None = None
    modified_date: str | None = None
    last_published_date: str | None = None
    triggers: list[Trigger] | None = None
    activities: list[Activity] | None = None
    goals: list[dict[str, Any]] | None = None
    exits: list[dict[str, Any]] | None = None
    notifiers: list[Any] | None = None
    defaults: dict[str, Any] | None = None
    meta_data: dict[str, Any] | None = None
    stats: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _send_api_version(cls, data: Any) -> Any:
        # SFMC requires workflowApiVersion on every save: count the default as set, so to_wire sends it.
        if (
            isinstance(data, Mapping)
            and "workflowApiVersion" not in data
            and "workflow_api_version" not in data
        ):
            return {**data, "workflowApiVersion": 1.0}
        return data


class EventDefinition(WireModel):
    """An entry event definition."""

    key: str = Field(
        validation_alias=AliasChoices("eventDefinitionKey", "key"), serialization_alias="eventDefinitionKey"
    )
    name: str
    type: str = "APIEvent"
    id: str | None = None
    description: str | None = None
    mode: str | None = None
    data_extension_id: str | None = None
    data_extension_name: str | None = None
    event_schema: dict[str, Any] | None = Field(
        default=None, validation_alias=AliasChoices("schema", "event_schema"), serialization_alias="schema"
    )
    arguments: dict[str, Any] | None = None
    configuration_arguments: dict[str, Any] | None = None
    meta_data: dict[str, Any] | None = None
    created_date: str | None = None
    modified_date: str | None = None
    interaction_count: int | None = None
    published_interaction_count: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _send_type(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "type" not in data:
            return {**data, "type": "APIEvent"}
        return data


class OperationProblem(WireModel):
    """One error or warning of a publish or validate."""

    error_code: str | None = None
    error_detail: str | None = None
    error_type: str | None = None
    additional_info: dict[str, Any] | None = None


class OperationStatus(WireModel):
    """A publishStatus or validateStatus answer."""

    status: str
    status_id: str | None = None
    errors: list[OperationProblem] = Field(default_factory=list)
    warnings: list[OperationProblem] = Field(default_factory=list)

    @property
    def in_process(self) -> bool:
        return self.status.endswith("InProcess")

    @property
    def completed(self) -> bool:
        """Finished without errors (PublishCompleted, ValidateCompleted)."""
        return self.status.endswith("Completed")


class AuditEntry(WireModel):
    """One entry of a journey's audit log."""

    action: str
    id: str | None = None
    key: str | None = None
    version_number: int | None = None
    name: str | None = None
    description: str | None = None
    time_stamp: str | None = None
    user: dict[str, Any] | None = None
    original_definition_id: str | None = None


class Page(WireModel, Generic[T]):
    """One page of a paged list."""

    count: int
    page: int
    page_size: int
    items: list[T]


class AccessToken(WireModel):
    """A /v2/token answer (OAuth names, not camelCase)."""

    model_config = ConfigDict(alias_generator=None, extra="allow")

    access_token: str
    expires_in: int
    token_type: str = "Bearer"
    scope: str | None = None
    rest_instance_url: str | None = None
    soap_instance_url: str | None = None


class BatchMember(WireModel):
    contact_key: str
    event_instance_id: str | None = None
    errorcode: str | int | None = None
    message: str | None = None


class BatchResult(WireModel):
    """The answer to POST /interaction/v1/async/events."""

    request_id: str | None = None
    count: int | None = None
    not_queued_count: int | None = None
    members: list[BatchMember] = Field(default_factory=list)


class Folder(BaseModel):
    """A folder (SOAP DataFolder), for journeys: ContentType `journey`."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    parent_id: int | None = None
    content_type: str | None = None
    customer_key: str | None = None
