"""Journeys and their versions: identity, server-owned fields, defaults and the editing rules.

A journey's definition has a few attributes the server reasons about (name, entry mode, ...) and a
Journey Spec document (triggers, activities, goals, ...). The document is SFMC's own format, so it is
kept under its wire member names, exactly as the client sent it, and round-trips unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeGuard

from journeystack.errors import (
    DraftVersionExists,
    InvalidRequest,
    NoChange,
    Problem,
    SpecValidationFailed,
    StaleModifiedDate,
    TransactionalHasNoVersions,
    VersionNotEditable,
)

from .dates import parse_canonical
from .ids import IdGenerator
from .limits import Limits
from .runtime.plan import activity_id
from .runtime.records import JourneyStats
from .spec import bounded, check_structure, event_reference
from .spec.schemas import activity_schema
from .spec.structure import DEFINITION_TYPES as DEFINITION_TYPES
from .spec.structure import ENTRY_MODES as ENTRY_MODES


class Status(StrEnum):
    DRAFT = "Draft"
    PUBLISHED = "Published"
    UNPUBLISHED = "Unpublished"
    STOPPED = "Stopped"
    PAUSED = "Paused"
    SCHEDULED_TO_PUBLISH = "ScheduledToPublish"
    DELETED = "Deleted"


WORKFLOW_API_VERSIONS = (0.5, 1.0)


def _spec_defaults() -> dict[str, Any]:
    """Journey Spec members a bare create gets (SFMC's recorded create response), fresh each call."""
    return {
        "activities": [],
        "triggers": [],
        "goals": [],
        "exits": [],
        "notifiers": [],
        "defaults": {"properties": {}},
        "metaData": {},
        "executionMode": "Production",
        # SFMC's answers always carry these two (recorded: "" or the channel sent; "Draft").
        "channel": "",
        "scheduledStatus": "Draft",
    }


_DEFAULTED = frozenset(_spec_defaults())

# The statuses in which a version runs (or is about to): it may not be deleted, its entry event may
# not change, and publishing another version of the journey unpublishes it. The one definition of
# "running"; domain/lifecycle.py re-exports it.
RUNNING = frozenset({Status.PUBLISHED, Status.PAUSED, Status.SCHEDULED_TO_PUBLISH})


def is_running(status: Status) -> bool:
    return status in RUNNING


@dataclass(frozen=True, slots=True)
class JourneyDefinition:
    """What a client may set on a journey version."""

    key: str
    name: str
    description: str
    workflow_api_version: float
    entry_mode: str
    definition_type: str
    spec: dict[str, Any]

    @classmethod
    def build(
        cls,
        *,
        key: str,
        name: str,
        workflow_api_version: float,
        description: str | None = None,
        entry_mode: str | None = None,
        definition_type: str | None = None,
        spec: dict[str, Any] | None = None,
    ) -> JourneyDefinition:
        """A definition with SFMC's defaults filled in for whatever the client left out."""
        filled = _spec_defaults()
        for member, value in (spec or {}).items():
            filled[member] = _default_if_null(member, value)
        return cls(
            key=key,
            name=name,
            description=description or "",
            workflow_api_version=float(workflow_api_version),
            entry_mode=_canonical(entry_mode, ENTRY_MODES) or "NotSet",
            definition_type=_canonical(definition_type, DEFINITION_TYPES) or "Multistep",
            spec=filled,
        )

    def same_content(self, other: JourneyDefinition) -> bool:
        return (
            self.name == other.name
            and self.description == other.description
            and self.workflow_api_version == other.workflow_api_version
            and self.entry_mode == other.entry_mode
            and self.definition_type == other.definition_type
            and self.spec == other.spec
        )


def spec_document(definition: JourneyDefinition) -> dict[str, Any]:
    """The whole Journey Spec document of a definition, as the Journey Spec checks read it."""
    return {
        "key": definition.key,
        "name": definition.name,
        "description": definition.description,
        "workflowApiVersion": definition.workflow_api_version,
        "entryMode": definition.entry_mode,
        "definitionType": definition.definition_type,
        **definition.spec,
    }


def check_selectors(
    definition: JourneyDefinition, version: int, *, query_version: int | None, path_key: str | None
) -> None:
    """A PUT names its version in the body; a versionNumber query or a key: path must agree with it.

    Raises InvalidRequest naming the disagreeing selector.
    """
    if query_version is not None and query_version != version:
        raise InvalidRequest(
            [Problem("versionNumber does not match the body's version.", 10005, "versionNumber")]
        )
    if path_key is not None and path_key != definition.key:
        raise InvalidRequest([Problem("key does not match the key in the path.", 10005, "key")])


def check_savable(definition: JourneyDefinition, limits: Limits | None = None) -> None:
    """The Journey Spec's save-time checks. Raises SpecValidationFailed naming every problem (up
    to the limits' count, then how many more)."""
    limits = limits or Limits()
    problems = check_structure(spec_document(definition))
    problems = bounded(problems, limits.reported_problems, limits.problem_message_bytes)
    if problems:
        raise SpecValidationFailed([Problem(p.message, int(p.code), p.path) for p in problems])


def trigger_event_reference(definition: JourneyDefinition) -> tuple[str | None, str | None]:
    """(eventDefinitionKey, eventDefinitionId) the journey's trigger refers to, where it names one:
    the same reference the publish checks look up (`spec.event_reference`), the id lower-cased."""
    reference = event_reference(definition.spec)
    if reference is None:
        return None, None
    return reference.key, reference.event_id.lower() if reference.event_id is not None else None


def with_server_members(
    definition: JourneyDefinition, journey_id: str, *, event_id: str | None = None
) -> JourneyDefinition:
    """The definition with the members SFMC adds when it stores a journey version (an activity or
    trigger that already carries one keeps it as sent):

    - every activity and trigger an `id`: derived from the journey id and its key (the engine's
      `activity_id`), so the same activity keeps its id in every version of the journey and a GET,
      the engine's history and a publish status all name it the same;
    - every activity its argument `schema` (domain/spec/schemas.py);
    - the entry trigger's `metaData.eventDefinitionId`, when it names its event by key alone and
      `event_id` (that event definition's id) is known: mcdev finds a journey's event by id only.
    """
    spec = dict(definition.spec)
    activities = spec.get("activities")
    if isinstance(activities, list):
        spec["activities"] = [_completed(a, journey_id, schema=True) for a in activities]
    triggers = spec.get("triggers")
    if isinstance(triggers, list):
        completed = [_completed(t, journey_id, schema=False) for t in triggers]
        reference = event_reference(spec)
        if event_id is not None and reference is not None and reference.event_id is None:
            trigger = completed[reference.index]
            meta = trigger.get("metaData")
            trigger["metaData"] = {**(meta if isinstance(meta, dict) else {}), "eventDefinitionId": event_id}
        spec["triggers"] = completed
    return replace(definition, spec=spec)


def _completed(element: Any, journey_id: str, *, schema: bool) -> Any:
    if not isinstance(element, dict):
        return element
    done = dict(element)
    if not (isinstance(done.get("id"), str) and done["id"]):
        done["id"] = activity_id(journey_id, done)
    if schema and not isinstance(done.get("schema"), dict):
        done["schema"] = activity_schema(done.get("type"))
    return done


def activity_ids(definition: JourneyDefinition) -> dict[str, str]:
    """The id of each activity with a key and an id, by key."""
    activities = definition.spec.get("activities")
    return {
        a["key"]: a["id"]
        for a in (activities if isinstance(activities, list) else [])
        if isinstance(a, dict) and isinstance(a.get("key"), str) and isinstance(a.get("id"), str)
    }


# Definition types whose journeys carry `stats` on every GET in SFMC's recorded answers (and in the
# answers to POST and PUT, where a Draft's are zero); a Transactional journey's only with extras=stats.
_STATS_ALWAYS = frozenset({"multistep", "quicksend"})


def is_transactional(definition_type: str) -> bool:
    return definition_type.lower() == "transactional"


# SFMC's refusal of a PUT on a Published transactional-send journey (mcdev pauses it first).
TRANSACTIONAL_PUBLISHED = "Cannot update transactional-send journey in Published status."


def carries_stats(definition_type: str) -> bool:
    return definition_type.lower() in _STATS_ALWAYS


def parse_status(text: str) -> Status | None:
    """A status named in a query, whatever its case; None when it names none."""
    return next((s for s in Status if s.value.lower() == text.strip().lower()), None)


def tag_names(spec: dict[str, Any]) -> list[str]:
    """The tags a Journey Spec carries (`tags`: names, or objects with a `name`, as SFMC lists
    them), lower-cased, once each, sorted: what the list's `tag` filter matches."""
    tags = spec.get("tags")
    names = {(t.get("name") if isinstance(t, dict) else t) for t in (tags if isinstance(tags, list) else [])}
    return sorted({n.strip().lower() for n in names if isinstance(n, str) and n.strip()})


def _canonical(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """SFMC's spelling of an enum member it parses ignoring case (entryMode, definitionType), as it
    answers and as the engine and snapshots compare it; anything else as sent, for the checks."""
    if not value:
        return value
    return next((name for name in allowed if name.lower() == value.lower()), value)


def _default_if_null(member: str, value: Any) -> Any:
    if value is None and member in _DEFAULTED:
        return _spec_defaults()[member]
    return value


@dataclass(frozen=True, slots=True)
class JourneyVersion:
    """One stored version of a journey in one business unit."""

    mid: int
    id: str
    key: str
    version: int
    definition_id: str
    status: Status
    created_ms: int
    modified_ms: int
    last_published_ms: int | None
    definition: JourneyDefinition
    operation_id: str | None = None
    paused_until_ms: int | None = None
    pause_options: dict[str, Any] | None = None

    @property
    def editable(self) -> bool:
        """Whether a PUT may change it: a Draft, or a Paused transactional-send journey (which has
        no versions, so SFMC updates it in place while it is paused), with no operation in flight."""
        if self.operation_id is not None:
            return False
        return self.status is Status.DRAFT or (self.status is Status.PAUSED and self.transactional)

    @property
    def transactional(self) -> bool:
        return is_transactional(self.definition.definition_type)


def readable(version: JourneyVersion | None) -> TypeGuard[JourneyVersion]:
    """Whether a GET finds this version: a Deleted one answers as if it did not exist."""
    return version is not None and version.status is not Status.DELETED


@dataclass(frozen=True, slots=True)
class StoredJourney:
    """A version as read for answering a GET: its Journey Spec document still in the JSON text it
    was stored as (`version.definition.spec` is left empty), so the answer can carry the text as
    is instead of parsing and re-serializing it."""

    version: JourneyVersion
    spec_json: str
    stats: JourneyStats | None = None


def first_version(
    definition: JourneyDefinition, *, mid: int, ids: IdGenerator, now_ms: int
) -> JourneyVersion:
    """Version 1 of a new journey; its definitionId is the journey id."""
    journey_id = ids.new_id()
    return JourneyVersion(
        mid=mid,
        id=journey_id,
        key=definition.key,
        version=1,
        definition_id=journey_id,
        status=Status.DRAFT,
        created_ms=now_ms,
        modified_ms=now_ms,
        last_published_ms=None,
        definition=definition,
    )


def next_version(
    latest: JourneyVersion, definition: JourneyDefinition, *, ids: IdGenerator, now_ms: int
) -> JourneyVersion:
    """Version n+1 of an existing journey, the way POST of a known key makes one.

    Raises TransactionalHasNoVersions when either is a transactional-send journey (SFMC keeps one
    version of those and updates it in place), DraftVersionExists when the latest version is still
    a Draft (edit that one instead).
    """
    if latest.transactional or is_transactional(definition.definition_type):
        raise TransactionalHasNoVersions()
    if latest.status is Status.DRAFT:
        raise DraftVersionExists()
    return JourneyVersion(
        mid=latest.mid,
        id=latest.id,
        key=latest.key,
        version=latest.version + 1,
        definition_id=ids.new_id(),
        status=Status.DRAFT,
        created_ms=now_ms,
        modified_ms=now_ms,
        last_published_ms=None,
        definition=definition,
    )


def next_modified_ms(current_ms: int, now_ms: int) -> int:
    """A modifiedDate strictly after the current one, even within one millisecond."""
    return max(now_ms, current_ms + 1)


def check_update(current: JourneyVersion, definition: JourneyDefinition, seen_modified: str | None) -> int:
    """The rules of an update, in SFMC's order; returns the modifiedDate (ms) the client saw.

    Raises VersionNotEditable (not Draft, or an operation in flight), StaleModifiedDate (missing or
    different modifiedDate), NoChange (nothing would change).
    """
    if not current.editable:
        if current.transactional and current.status is Status.PUBLISHED and current.operation_id is None:
            raise VersionNotEditable(TRANSACTIONAL_PUBLISHED)
        raise VersionNotEditable()
    seen_ms = parse_canonical(seen_modified) if isinstance(seen_modified, str) else None
    if seen_ms is None or seen_ms != current.modified_ms:
        raise StaleModifiedDate()
    if current.definition.same_content(definition):
        raise NoChange()
    return seen_ms


def updated(current: JourneyVersion, definition: JourneyDefinition, *, now_ms: int) -> JourneyVersion:
    """The version after a successful update; server-owned fields keep their stored values."""
    return replace(
        current,
        definition=definition,
        modified_ms=next_modified_ms(current.modified_ms, now_ms),
    )


def deleted(current: JourneyVersion, *, now_ms: int) -> JourneyVersion:
    return replace(current, status=Status.DELETED, modified_ms=next_modified_ms(current.modified_ms, now_ms))


def check_deletable(current: JourneyVersion) -> None:
    """Deleting a running version is refused: stop it first (SFMC practitioners report the same).

    Raises InvalidStateTransition for Published, Paused and ScheduledToPublish versions and
    VersionNotEditable while a publish or validate operation is in flight.
    """
    from journeystack.errors import InvalidStateTransition

    if is_running(current.status):
        raise InvalidStateTransition(f"Cannot delete interaction in {current.status.value} status.")
    if current.operation_id is not None:
        raise VersionNotEditable()
