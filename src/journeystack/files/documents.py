"""Journey and event definition files: what goes into them, how they are written, and how a
directory of them (journeystack's export layout or mcdev's `retrieve/` layout) is read.

A journey file is one version of a journey as the server answers it, minus everything that names
one server's objects rather than the journey: its ids and dates, server-assigned activity and
trigger ids and activity argument schemas, the trigger's eventDefinitionId (the key stays) and categoryId, which becomes
`folderPath` ("my journeys/Campaigns"). It keeps `version` and `status`. Files are written with a
fixed member order and two-space indentation, so the same journey always gives the same bytes and
a change shows in git as the lines it changed.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

JOURNEYS_DIR: Final = "journeys"
EVENTS_DIR: Final = "events"
MCDEV_JOURNEY_SUFFIX: Final = ".journey-meta.json"
MCDEV_EVENT_SUFFIX: Final = ".event-meta.json"
FOLDER_PATH: Final = "folderPath"

# Members of a journey that belong to one server, not to the journey.
_JOURNEY_INSTANCE: Final = frozenset(
    {"id", "definitionId", "createdDate", "modifiedDate", "lastPublishedDate", "stats", "healthStats",
     "scheduledStatus", "categoryId"}
)  # fmt: skip
# Members of an event definition that belong to one server.
_EVENT_INSTANCE: Final = frozenset(
    {"id", "createdDate", "createdBy", "modifiedDate", "modifiedBy", "interactionCount",
     "publishedInteractionCount"}
)  # fmt: skip
# What a save must not carry (the server ignores them; the folder path is ours).
_NOT_SENT: Final = frozenset({"status", "version", FOLDER_PATH, *_JOURNEY_INSTANCE})

# Top-level members of a journey file, in this order; anything else follows, sorted.
JOURNEY_ORDER: Final = (
    "key", "version", "status", "name", "description", "workflowApiVersion", "definitionType",
    "entryMode", "executionMode", "channel", FOLDER_PATH, "defaults", "metaData", "triggers",
    "activities", "goals", "exits", "notifiers",
)  # fmt: skip
EVENT_ORDER: Final = ("eventDefinitionKey", "name", "type", "description", "mode")
# Inside nested objects these come first (an activity reads key, name, type); then the rest, sorted.
_NESTED_FIRST: Final = ("key", "name", "type")


def canonical(value: Any, order: Iterable[str] = _NESTED_FIRST) -> Any:
    """`value` with every object's members in the file order (lists keep theirs)."""
    if isinstance(value, Mapping):
        first = [name for name in order if name in value]
        rest = sorted(name for name in value if name not in first)
        return {name: canonical(value[name]) for name in first + rest}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def dumps_journey(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(canonical(document, JOURNEY_ORDER), option=orjson.OPT_INDENT_2) + b"\n"


def dumps_event(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(canonical(document, EVENT_ORDER), option=orjson.OPT_INDENT_2) + b"\n"


def _trigger_areas(trigger: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Where a trigger names its event definition: metaData (SFMC's journeys) and arguments."""
    for area in ("metaData", "arguments"):
        value = trigger.get(area)
        if isinstance(value, dict):
            yield value


def journey_document(
    wire: Mapping[str, Any], *, folder_paths: Mapping[int, str], event_keys: Mapping[str, str]
) -> dict[str, Any]:
    """The file form of a journey version as the server answered it.

    `folder_paths` maps folder ids to paths; `event_keys` maps event definition ids (lower case) to
    keys, for a trigger that names its event by id alone."""
    document = {name: value for name, value in wire.items() if name not in _JOURNEY_INSTANCE}
    category = wire.get("categoryId")
    if isinstance(category, int) and category in folder_paths:
        document[FOLDER_PATH] = folder_paths[category]
    document = _without_assigned(document)
    for trigger in document.get("triggers") or []:
        if not isinstance(trigger, dict):
            continue
        for area in _trigger_areas(trigger):
            event_id = area.get("eventDefinitionId")
            if not isinstance(event_id, str):
                continue
            if not area.get("eventDefinitionKey") and event_id.lower() in event_keys:
                area["eventDefinitionKey"] = event_keys[event_id.lower()]
            if area.get("eventDefinitionKey"):
                del area["eventDefinitionId"]
    result: dict[str, Any] = document
    return result


def _without_assigned(document: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `document` without what SFMC assigns inside it: the id of each activity and
    trigger, and the argument schema of each activity."""
    copy: dict[str, Any] = orjson.loads(orjson.dumps(document))
    for member in ("triggers", "activities", "goals", "exits"):
        for element in copy.get(member) or []:
            if isinstance(element, dict):
                element.pop("id", None)
                if member == "activities":
                    element.pop("schema", None)
    return copy


def event_document(wire: Mapping[str, Any]) -> dict[str, Any]:
    """The file form of an event definition as the server answered it."""
    document = {name: value for name, value in wire.items() if name not in _EVENT_INSTANCE}
    arguments = document.get("arguments")
    if isinstance(arguments, dict):
        document["arguments"] = {k: v for k, v in arguments.items() if k != "eventDefinitionId"}
    return document


def journey_content(document: Mapping[str, Any]) -> dict[str, Any]:
    """What two versions must share to be the same journey: the file form without version, status
    and what names one server (an mcdev file keeps ids and dates)."""
    return {
        k: v
        for k, v in _without_assigned(document).items()
        if k not in _JOURNEY_INSTANCE and k not in ("version", "status")
    }


def save_body(document: Mapping[str, Any], *, event_ids: Mapping[str, str]) -> dict[str, Any]:
    """The body that saves a journey file: without what the server owns or the file adds, and with
    the trigger's eventDefinitionId filled in from `event_ids` (key -> id on the target server), as
    SFMC's own journeys carry it."""
    body: dict[str, Any] = orjson.loads(
        orjson.dumps({k: v for k, v in document.items() if k not in _NOT_SENT})
    )
    for trigger in body.get("triggers") or []:
        if not isinstance(trigger, dict):
            continue
        for area in _trigger_areas(trigger):
            key = area.get("eventDefinitionKey")
            if isinstance(key, str) and key in event_ids and not area.get("eventDefinitionId"):
                area["eventDefinitionId"] = event_ids[key]
    return body


def event_body(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in _EVENT_INSTANCE}


# --- mcdev ----------------------------------------------------------------------------------------


def from_mcdev_journey(document: Mapping[str, Any]) -> dict[str, Any]:
    """An mcdev journey file in journeystack's file form: its folder path and its entry event's key
    (`r__folder_Path`, `r__event_key`) under journeystack's names. mcdev's other references
    (`r__triggeredSend_key`, `r__asset_key`, ...) name objects journeystack does not have; they are
    kept as they are."""
    result: dict[str, Any] = orjson.loads(orjson.dumps(document))
    folder = result.pop("r__folder_Path", None)
    if isinstance(folder, str):
        result[FOLDER_PATH] = folder
    for trigger in result.get("triggers") or []:
        if not isinstance(trigger, dict):
            continue
        for area in _trigger_areas(trigger):
            key = area.pop("r__event_key", None)
            if isinstance(key, str):
                area["eventDefinitionKey"] = key
    return result


def from_mcdev_event(document: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(document)
    result.pop("r__folder_Path", None)
    return result


# --- directories ----------------------------------------------------------------------------------


def _quote(key: str) -> str:
    name = urllib.parse.quote(key, safe="")
    return "%2E" + name[1:] if name.startswith(".") else name


def journey_path(key: str, version: int) -> Path:
    """Where a journey version's file goes, relative to the export directory."""
    return Path(JOURNEYS_DIR) / _quote(key) / f"v{version}.json"


def event_path(key: str) -> Path:
    return Path(EVENTS_DIR) / f"{_quote(key)}.json"


class LayoutError(ValueError):
    """A directory that holds no journeys, or more than one business unit's."""


@dataclass(frozen=True, slots=True)
class JourneyFile:
    path: Path
    document: dict[str, Any]
    # mcdev files hold a journey's latest version, whatever their `version` says.
    latest: bool = False

    @property
    def key(self) -> str:
        return str(self.document.get("key") or "")

    @property
    def version(self) -> int | None:
        version = self.document.get("version")
        return version if isinstance(version, int) and not isinstance(version, bool) else None

    @property
    def status(self) -> str | None:
        status = self.document.get("status")
        return status if isinstance(status, str) else None


@dataclass(frozen=True, slots=True)
class EventFile:
    path: Path
    document: dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.document.get("eventDefinitionKey") or "")


@dataclass
class Tree:
    """The journeys and event definitions of a directory, in import order."""

    layout: str
    journeys: list[JourneyFile] = field(default_factory=list)
    events: list[EventFile] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


def read_json(path: Path) -> tuple[Any, str | None]:
    """The decoded file, or the reason it could not be read."""
    try:
        return orjson.loads(path.read_bytes()), None
    except OSError as error:
        return None, f"cannot be read: {error.strerror or error}"
    except orjson.JSONDecodeError as error:
        return None, f"is not JSON: {error}"


def read_tree(root: Path) -> Tree:
    """Read a directory in journeystack's export layout (journeys/, events/) or mcdev's (any
    `*.journey-meta.json` and `*.event-meta.json` under it, of one business unit).

    Raises LayoutError when it holds neither, or journeys of several business units."""
    if (root / JOURNEYS_DIR).is_dir() or (root / EVENTS_DIR).is_dir():
        tree = Tree("journeystack")
        for path in sorted((root / EVENTS_DIR).glob("*.json")):
            _add(tree, path, lambda d, p: tree.events.append(EventFile(p, d)))
        for path in sorted((root / JOURNEYS_DIR).rglob("*.json")):
            _add(tree, path, lambda d, p: tree.journeys.append(JourneyFile(p, d)))
    else:
        journey_files = sorted(root.rglob("*" + MCDEV_JOURNEY_SUFFIX))
        event_files = sorted(root.rglob("*" + MCDEV_EVENT_SUFFIX))
        if not journey_files and not event_files:
            raise LayoutError(
                f"{root} holds no journeys: neither {JOURNEYS_DIR}/ and {EVENTS_DIR}/ (journeystack export) "
                f"nor *{MCDEV_JOURNEY_SUFFIX} files (mcdev retrieve/)"
            )
        units = sorted({str(p.parent.parent.relative_to(root)) for p in journey_files + event_files})
        if len(units) > 1:
            raise LayoutError(
                f"{root} holds several business units ({', '.join(units)}): name one of their directories"
            )
        tree = Tree("mcdev")
        for path in event_files:
            _add(tree, path, lambda d, p: tree.events.append(EventFile(p, from_mcdev_event(d))))
        for path in journey_files:
            _add(
                tree,
                path,
                lambda d, p: tree.journeys.append(JourneyFile(p, from_mcdev_journey(d), latest=True)),
            )
    tree.journeys.sort(key=lambda f: (f.key, f.version or 0, str(f.path)))
    return tree


def _add(tree: Tree, path: Path, store: Any) -> None:
    document, problem = read_json(path)
    if problem is not None:
        tree.unreadable.append((path, problem))
    elif not isinstance(document, dict):
        tree.unreadable.append((path, "is not a JSON object"))
    else:
        store(document, path)
