"""`journeystack validate`: the save checks and the publish checks of journey files, without a server.

The verdict is the server's: the body is parsed and checked by the code that answers POST
/interactions, then by the publish verdict the publish operation uses (services.verdict), so a file
passes here exactly when it would save and publish. Two things live on a server only:

- the trigger's event definition. References are checked against the event definitions known to
  the command (`--event KEY`, and event definition files among the inputs); when none is known,
  every reference is taken to exist, and the output says that they were not checked;
- the folder (`categoryId`; `folderPath` in journeystack's files, which import creates as needed),
  which is not checked;
- the validate and publish calls of custom activities, which only a server makes. Their URLs are
  checked against the outbound allow-list a server would use (loopback and
  JOURNEYSTACK_OUTBOUND_ALLOW).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from journeystack.api.http import parse_json
from journeystack.api.schemas.journeys import parse_create
from journeystack.config import Settings
from journeystack.domain import journey as rules
from journeystack.domain.journey import JourneyVersion, Status
from journeystack.domain.outbound import OutboundPolicy
from journeystack.domain.spec import SpecProblem
from journeystack.errors import InvalidRequest, Problem
from journeystack.services.verdict import publish_problems

from . import documents as d

# The server's default nesting cap (JOURNEYSTACK_MAX_JSON_DEPTH).
MAX_DEPTH: Final = Settings.model_fields["max_json_depth"].default
_STANDIN_ID: Final = "00000000-0000-4000-8000-000000000000"
LOOPBACK_ONLY: Final = OutboundPolicy()


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}


@dataclass
class FileVerdict:
    """What the server would say to one file: refused on save, refused on publish, or publishable."""

    file: str
    key: str | None = None
    version: int | None = None
    refused_on: str | None = None  # "save" or "publish"
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "key": self.key,
            "version": self.version,
            "valid": self.valid,
            "refusedOn": self.refused_on,
            "errors": [f.to_json() for f in self.errors],
            "warnings": [f.to_json() for f in self.warnings],
        }


class KnownEvents:
    """The event definitions a validation may assume exist; `None` keys: take every reference as existing."""

    def __init__(self, keys: Iterable[str] | None, ids: Iterable[str] = ()) -> None:
        self.keys = None if keys is None else set(keys)
        self.ids = {i.lower() for i in ids}

    @property
    def checked(self) -> bool:
        return self.keys is not None

    def __call__(self, key: str | None, event_id: str | None) -> bool:
        if self.keys is None:
            return True
        return (key is not None and key in self.keys) or (
            event_id is not None and event_id.lower() in self.ids
        )


def validate_bytes(
    name: str,
    content: bytes,
    events: KnownEvents,
    *,
    mcdev: bool = False,
    outbound: OutboundPolicy = LOOPBACK_ONLY,
) -> FileVerdict:
    """The server's verdict on a journey file's content (journeystack's file form, mcdev's, or a
    journey as SFMC's API takes it), custom activities' URLs checked against `outbound` (by
    default a server's default: loopback only)."""
    verdict = FileVerdict(name)
    try:
        raw = parse_json(content, max_depth=MAX_DEPTH)
        if isinstance(raw, dict):
            verdict.key = raw.get("key") if isinstance(raw.get("key"), str) else None
            number = raw.get("version")
            verdict.version = number if isinstance(number, int) and not isinstance(number, bool) else None
            document = d.from_mcdev_journey(raw) if mcdev else raw
            raw = d.save_body(document, event_ids={})
        else:
            # What POST /interactions answers for a body that is not an object.
            raise InvalidRequest([Problem("The request body must be a JSON object.", 10001, "")])
        definition = parse_create(raw)
        rules.check_savable(definition)
    except InvalidRequest as refused:
        verdict.refused_on = "save"
        verdict.errors = [Finding(str(p.code), p.path, p.message) for p in refused.problems]
        return verdict
    errors, warnings = publish_problems(_standin(definition), events, outbound)
    verdict.errors = [_finding(p) for p in errors]
    verdict.warnings = [_finding(p) for p in warnings]
    verdict.refused_on = "publish" if errors else None
    return verdict


def _finding(problem: SpecProblem) -> Finding:
    return Finding(problem.code, problem.path, problem.message)


def _standin(definition: rules.JourneyDefinition) -> JourneyVersion:
    """The Draft version 1 a POST of the definition would store (its ids do not affect the verdict)."""
    return JourneyVersion(
        mid=0, id=_STANDIN_ID, key=definition.key, version=1, definition_id=_STANDIN_ID,
        status=Status.DRAFT, created_ms=0, modified_ms=0, last_published_ms=None, definition=definition,
    )  # fmt: skip


@dataclass
class Inputs:
    """The journey files to validate and the event definitions the inputs define."""

    journeys: list[tuple[Path, bool]] = field(default_factory=list)  # (file, is mcdev's)
    event_keys: set[str] = field(default_factory=set)
    event_ids: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def collect(paths: Sequence[Path]) -> Inputs:
    """Journey and event definition files among `paths` (directories are read as by import)."""
    inputs = Inputs()
    for path in paths:
        if path.is_dir():
            try:
                tree = d.read_tree(path)
            except d.LayoutError as error:
                inputs.problems.append(str(error))
                continue
            for event in tree.events:
                _add_event(inputs, event.document)
            inputs.journeys.extend((f.path, f.latest) for f in tree.journeys)
            inputs.problems.extend(f"{p}: {problem}" for p, problem in tree.unreadable)
        elif not path.is_file():
            inputs.problems.append(f"{path}: no such file")
        elif path.name.endswith(d.MCDEV_EVENT_SUFFIX) or path.parent.name == d.EVENTS_DIR:
            document, problem = d.read_json(path)
            if problem is not None or not isinstance(document, dict):
                inputs.problems.append(f"{path}: {problem or 'is not a JSON object'}")
            else:
                _add_event(inputs, document)
        else:
            inputs.journeys.append((path, path.name.endswith(d.MCDEV_JOURNEY_SUFFIX)))
    return inputs


def _add_event(inputs: Inputs, document: Mapping[str, Any]) -> None:
    key, event_id = document.get("eventDefinitionKey"), document.get("id")
    if isinstance(key, str):
        inputs.event_keys.add(key)
    if isinstance(event_id, str):
        inputs.event_ids.add(event_id)


def validate_paths(
    paths: Sequence[Path], extra_events: Iterable[str] = (), outbound: OutboundPolicy = LOOPBACK_ONLY
) -> tuple[list[FileVerdict], KnownEvents, list[str]]:
    """Every journey file among `paths` with its verdict, the event definitions assumed, and the
    inputs that could not be read."""
    inputs = collect(paths)
    keys = inputs.event_keys | set(extra_events)
    events = KnownEvents(keys if keys or inputs.event_ids else None, inputs.event_ids)
    verdicts = []
    for path, mcdev in inputs.journeys:
        try:
            content = path.read_bytes()
        except OSError as error:
            inputs.problems.append(f"{path}: cannot be read: {error.strerror or error}")
            continue
        verdicts.append(validate_bytes(str(path), content, events, mcdev=mcdev, outbound=outbound))
    return verdicts, events, inputs.problems


def render_text(verdicts: Sequence[FileVerdict], events: KnownEvents) -> str:
    lines = []
    for verdict in verdicts:
        what = f" ({verdict.key} v{verdict.version})" if verdict.key and verdict.version else (
            f" ({verdict.key})" if verdict.key else ""
        )  # fmt: skip
        if verdict.valid:
            lines.append(
                f"{verdict.file}{what}: ok"
                + (f", {len(verdict.warnings)} warning(s)" if verdict.warnings else "")
            )
        else:
            stage = "would be refused on save" if verdict.refused_on == "save" else "would not publish"
            lines.append(f"{verdict.file}{what}: {stage}, {len(verdict.errors)} error(s)")
        for level, findings in (("error", verdict.errors), ("warning", verdict.warnings)):
            for finding in findings:
                lines.append(f"  {level} {finding.code} at {finding.path or '$'}: {finding.message}")
    failed = sum(1 for v in verdicts if not v.valid)
    lines.append(f"{len(verdicts)} journey file(s): {len(verdicts) - failed} valid, {failed} with errors")
    if not events.checked:
        lines.append(
            "event definitions were not checked: none is known (name them with --event KEY, or pass their files)"
        )
    return "\n".join(lines) + "\n"


def render_json(verdicts: Sequence[FileVerdict], events: KnownEvents, problems: Sequence[str]) -> bytes:
    document = {
        "valid": all(v.valid for v in verdicts) and not problems,
        "eventDefinitions": {"checked": events.checked, "known": sorted(events.keys or ())},
        "files": [v.to_json() for v in verdicts],
        "problems": list(problems),
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
