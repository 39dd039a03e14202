"""`journeystack export DIR` and `journeystack import DIR`, through the Interaction API (and SOAP for
folders), so that they work against any journeystack and against SFMC itself.

Import brings a server to what the files say, version by version: a version the server lacks is
created, a Draft whose file differs is updated (with the modifiedDate just read), an unchanged
version is left alone, and each version is then taken to its file's status where the lifecycle
allows (Published: publish; Paused: publish, pause; Stopped: publish, stop; Unpublished: publish, and
the next version's publish unpublishes it). Event definitions come first, so that journeys can be
published. Nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from journeystack.client import (
    Client,
    ClientError,
    EventDefinition,
    Folder,
    Journey,
    NotFoundError,
    OperationFailedError,
    SfmcError,
)

from . import documents as d


@dataclass
class Report:
    """What an export or import did (`done`, one line each) and what went wrong (`problems`)."""

    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _describe(error: ClientError) -> str:
    if isinstance(error, OperationFailedError):
        details = "; ".join(
            f"{p.error_code} {(p.additional_info or {}).get('path', '')}: {p.error_detail}".replace(" :", ":")
            for p in error.status.errors
        )
        return f"{error.kind} failed: {details}"
    if isinstance(error, SfmcError):
        more = "; ".join(f"{v.get('path', '')}: {v.get('message', '')}" for v in error.validation_errors[:5])
        return f"{error.status} errorcode {error.errorcode}: {error.message}" + (f" ({more})" if more else "")
    return str(error)


class Folders:
    """The target's journey folders by path ("my journeys/Campaigns"), read when first needed;
    missing folders are created on the way."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._folders: dict[int, Folder] | None = None

    def _all(self) -> dict[int, Folder]:
        if self._folders is None:
            self._folders = {f.id: f for f in self._client.folders.list("journey")}
        return self._folders

    def paths(self) -> dict[int, str]:
        folders = self._all()
        paths: dict[int, str] = {}
        for folder in folders.values():
            names: list[str] = []
            seen: set[int] = set()
            current: Folder | None = folder
            while current is not None and current.id not in seen:
                seen.add(current.id)
                names.append(current.name)
                current = folders.get(current.parent_id) if current.parent_id else None
            paths[folder.id] = "/".join(reversed(names))
        return paths

    def id_for(self, path: str) -> int:
        """The folder at `path`, made if missing. Raises ValueError when its root is not the
        target's root journey folder."""
        by_path = {p: i for i, p in self.paths().items()}
        if path in by_path:
            return by_path[path]
        names = [n for n in path.split("/") if n]
        roots = [f for f in self._all().values() if not f.parent_id]
        root = next((f for f in roots if names and f.name == names[0]), None)
        if root is None:
            known = ", ".join(sorted(f.name for f in roots)) or "none"
            raise ValueError(f"folder path {path!r} does not start at a root journey folder ({known})")
        parent, walked = root.id, root.name
        for name in names[1:]:
            walked += "/" + name
            if walked in by_path:
                parent = by_path[walked]
                continue
            created = self._client.folders.create(name, parent, "journey")
            self._all()[created.id] = created
            by_path[walked] = parent = created.id
        return parent


# --- export ---------------------------------------------------------------------------------------


def export_tree(client: Client, root: Path, *, keys: set[str] | None = None) -> Report:
    """Write every journey version (or those of `keys`) and every event definition under `root`,
    one file each; files of journeys and events that no longer exist are removed."""
    report = Report()
    events = list(client.event_definitions.list())
    event_keys = {e.id.lower(): e.key for e in events if e.id}
    listed = list(client.journeys.list(mostRecentVersionOnly=False))
    versions = sorted(
        {
            (j.key, j.version, j.id)
            for j in listed
            if j.version is not None and (keys is None or j.key in keys)
        },
        key=lambda item: (item[0], item[1]),
    )
    folders = Folders(client)
    folder_paths: dict[int, str] | None = None
    written: set[Path] = set()
    for key, version, journey_id in versions:
        try:
            journey = client.journeys.get(id=journey_id, version=version) if journey_id else (
                client.journeys.get(key, version=version)
            )  # fmt: skip
        except NotFoundError:
            continue  # deleted since it was listed
        if journey.category_id is not None and folder_paths is None:
            folder_paths = folders.paths()
        document = d.journey_document(
            journey.to_wire(), folder_paths=folder_paths or {}, event_keys=event_keys
        )
        written.add(_write(root, d.journey_path(key, version), d.dumps_journey(document)))
        report.done.append(f"{key} v{version}: {journey.status}")
    for event in sorted(events, key=lambda e: e.key):
        written.add(_write(root, d.event_path(event.key), d.dumps_event(d.event_document(event.to_wire()))))
        report.done.append(f"event {event.key}")
    # What is no longer there: every event, and the journeys exported (all of them, or those of `keys`).
    exported_dirs = None if keys is None else {d.journey_path(key, 1).parent for key in keys}
    for stale in _files(root):
        relative = stale.relative_to(root)
        in_scope = (
            exported_dirs is None or relative.parts[0] == d.EVENTS_DIR or relative.parent in exported_dirs
        )
        if stale not in written and in_scope:
            stale.unlink()
            report.done.append(f"removed {relative.as_posix()}")
    for directory in sorted((root / d.JOURNEYS_DIR).glob("*"), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    return report


def _write(root: Path, relative: Path, content: bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != content:
        path.write_bytes(content)
    return path


def _files(root: Path) -> Iterator[Path]:
    """The files an export writes (others, such as a hand-written journey file, are left alone)."""
    yield from sorted((root / d.EVENTS_DIR).glob("*.json"))
    yield from sorted(p for p in (root / d.JOURNEYS_DIR).glob("*/v*.json") if p.stem[1:].isdigit())


# --- import ---------------------------------------------------------------------------------------


def import_tree(client: Client, root: Path) -> Report:
    """Bring the target to the journeys and event definitions under `root` (see the module)."""
    report = Report()
    try:
        tree = d.read_tree(root)
    except d.LayoutError as error:
        report.problems.append(str(error))
        return report
    for path, problem in tree.unreadable:
        report.problems.append(f"{path}: {problem}")
    event_ids = {e.key: e.id for e in client.event_definitions.list() if e.id}
    for event in tree.events:
        _import_event(client, event, event_ids, report)
    folders = Folders(client)
    for key, files in groupby(tree.journeys, key=lambda f: f.key):
        if not key:
            report.problems.extend(f"{f.path}: the journey has no key" for f in files)
            continue
        _Importer(client, key, folders, event_ids, report).run(list(files))
    return report


def _import_event(client: Client, event: d.EventFile, event_ids: dict[str, str], report: Report) -> None:
    body = d.event_body(event.document)
    try:
        if event.key in event_ids:
            current = client.event_definitions.get(event.key)
            if _same_event(current, body):
                report.done.append(f"event {event.key}: unchanged")
                return
            client.event_definitions.update(body)
            report.done.append(f"event {event.key}: updated")
        else:
            created = client.event_definitions.create(body)
            if created.id:
                event_ids[created.key] = created.id
            report.done.append(f"event {event.key}: created")
    except ClientError as error:
        report.problems.append(f"{event.path}: event {event.key}: {_describe(error)}")


def _same_event(current: EventDefinition, body: dict[str, Any]) -> bool:
    """Whether the server's event already says everything the file says (a server adds to what it
    is sent: journeystack gives the schema an id and a name, SFMC more)."""
    return _covers(current.to_wire(), d.event_document(body))


def _covers(server: Any, file: Any) -> bool:
    if isinstance(file, dict):
        return isinstance(server, dict) and all(
            k in server and _covers(server[k], v) for k, v in file.items()
        )
    if isinstance(file, list):
        return isinstance(server, list) and len(server) == len(file) and all(map(_covers, server, file))
    return bool(server == file)


class _Importer:
    """Import the files of one journey key, in version order."""

    def __init__(
        self, client: Client, key: str, folders: Folders, event_ids: dict[str, str], report: Report
    ) -> None:
        self.client = client
        self.key = key
        self.folders = folders
        self.event_ids = event_ids
        self.report = report

    def latest(self) -> Journey | None:
        try:
            return self.client.journeys.get(self.key)
        except NotFoundError:
            return None

    def run(self, files: list[d.JourneyFile]) -> None:
        for file in files:
            try:
                self.one(file)
            except (ClientError, ValueError) as error:
                text = _describe(error) if isinstance(error, ClientError) else str(error)
                self.report.problems.append(f"{file.path}: {self.key}: {text}")

    def one(self, file: d.JourneyFile) -> None:
        latest = self.latest()
        last = latest.version if latest is not None and latest.version is not None else 0
        latest_file = file.latest or file.version is None
        wanted = file.version or 1
        if latest_file:  # mcdev's (or a file without a version): the latest version, whatever its number
            same = latest is not None and self._same(latest, file)
            wanted = last if latest is not None and (same or latest.status == "Draft") else last + 1
        body = self._body(file)
        if wanted <= last:
            current = self.client.journeys.get(self.key, version=wanted)
            label = f"{self.key} v{wanted}"
            if self._same(current, file):
                self.report.done.append(f"{label}: unchanged")
            elif current.status == "Draft":
                current = self.client.journeys.update(
                    {**body, "version": wanted, "modifiedDate": current.modified_date}
                )
                self.report.done.append(f"{label}: updated")
            else:
                raise ValueError(
                    f"v{wanted} is {current.status} on the server, so it cannot take the file's changes; "
                    "a new version needs a file of its own"
                )
        else:
            current = self.client.journeys.create(body)
            label = f"{self.key} v{current.version}"
            self.report.done.append(f"{label}: created")
            if not latest_file and current.version != wanted:
                raise ValueError(f"v{wanted} was created as v{current.version}: the server numbers versions")
        self._take_to(current, file.status, label)

    def _body(self, file: d.JourneyFile) -> dict[str, Any]:
        body = d.save_body(file.document, event_ids=self.event_ids)
        folder = file.document.get(d.FOLDER_PATH)
        if isinstance(folder, str) and folder:
            body["categoryId"] = self.folders.id_for(folder)
        return body

    def _same(self, current: Journey, file: d.JourneyFile) -> bool:
        """Whether the server's version already says everything the file says (members the server
        adds, such as defaults a hand-written file leaves out, do not count)."""
        event_keys = {i.lower(): k for k, i in self.event_ids.items()}
        paths = self.folders.paths() if current.category_id is not None else {}
        server = d.journey_document(current.to_wire(), folder_paths=paths, event_keys=event_keys)
        return all(server.get(name) == value for name, value in d.journey_content(file.document).items())

    def _take_to(self, current: Journey, wanted: str | None, label: str) -> None:
        """Move the version through the lifecycle to the file's status, where that is possible."""
        status = current.status or "Draft"
        if wanted is None or wanted == status:
            return
        journeys = self.client.journeys
        steps: list[str] = []
        if status == "Draft" and wanted in ("Published", "Unpublished", "Paused", "Stopped"):
            journeys.publish(current)
            status = "Published"
            steps.append("published")
        if wanted == "Paused" and status == "Published":
            journeys.pause(current)
            status = "Paused"
            steps.append("paused")
        elif wanted == "Published" and status == "Paused":
            journeys.resume(current)
            status = "Published"
            steps.append("resumed")
        elif wanted == "Stopped" and status in ("Published", "Paused", "Unpublished"):
            journeys.stop(current)
            status = "Stopped"
            steps.append("stopped")
        if steps:
            self.report.done.append(f"{label}: {', '.join(steps)}")
        if status != wanted and not (wanted == "Unpublished" and status == "Published"):
            raise ValueError(f"v{current.version} is {status} on the server and cannot become {wanted}")
