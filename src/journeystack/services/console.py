"""Read use cases of the web console (journeystack.console): its journey list, one journey with
its versions, checks and operations, how contacts moved through a version, event definitions with
the journeys that use them, and contacts. The console's writes go through the same services as the
API's (lifecycle.start_operation, the engine's clock)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from journeystack.domain.console import ContactMatch, EventUse, Flow, JourneyListPage, JourneyListQuery
from journeystack.domain.folders import JOURNEY_CONTENT_TYPE, Folder
from journeystack.domain.journey import JourneyVersion, Status
from journeystack.domain.lifecycle import Operation
from journeystack.domain.runtime.records import HISTORY_RETENTION_MS, HistoryQuery
from journeystack.domain.runtime.steps import HistoryRow
from journeystack.domain.spec import SpecProblem
from journeystack.errors import CriteriaNotFound

from . import verdict
from .clock import engine_now
from .context import ServiceContext
from .folders import list_folders

MAX_CONTACT_MATCHES = 50
MAX_OPERATIONS = 20
MAX_TIMELINE_ROWS = 1000
HOUR_MS = 3_600_000


def journey_list(ctx: ServiceContext, query: JourneyListQuery) -> JourneyListPage:
    with ctx.uow() as uow:
        return uow.console.journey_page(query)


def journey_folders(ctx: ServiceContext, mid: int) -> list[Folder]:
    """The business unit's journey folders, oldest first (the root folder is made on first use)."""
    return [f for f in list_folders(ctx, mid) if f.content_type.lower() == JOURNEY_CONTENT_TYPE]


@dataclass(frozen=True, slots=True)
class JourneyVersions:
    """Every version of a journey (Deleted ones too), oldest first, and the one asked for."""

    versions: list[JourneyVersion]
    selected: JourneyVersion

    def version(self, number: int) -> JourneyVersion | None:
        return next((v for v in self.versions if v.version == number), None)


def journey_versions(ctx: ServiceContext, mid: int, journey_id: str, version: int | None) -> JourneyVersions:
    """A journey's versions; `version` None selects the most recent one not Deleted.

    Raises CriteriaNotFound (no such journey, or no such version)."""
    with ctx.uow() as uow:
        versions = uow.journeys.versions(mid, journey_id=journey_id)
    if not versions:
        raise CriteriaNotFound()
    if version is None:
        alive = [v for v in versions if v.status is not Status.DELETED]
        selected = (alive or versions)[-1]
    else:
        found = next((v for v in versions if v.version == version), None)
        if found is None:
            raise CriteriaNotFound()
        selected = found
    return JourneyVersions(versions, selected)


def operations_of(ctx: ServiceContext, mid: int, journey_id: str) -> list[Operation]:
    """The journey's last publish and validate operations, newest first."""
    with ctx.uow() as uow:
        return uow.console.operations_of(mid, journey_id, MAX_OPERATIONS)


def publish_checks(
    ctx: ServiceContext, version: JourneyVersion
) -> tuple[list[SpecProblem], list[SpecProblem]]:
    """(errors, warnings) a publish of `version` would meet now: the verdict publish and validate
    operations reach (services/verdict.py), without starting one."""
    with ctx.uow() as uow:
        return verdict.stored_publish_problems(ctx, uow, version)


class FlowCache:
    """Moves counted per version, kept while no history row was written anywhere: counting reads
    every history row of a version (tens of milliseconds per ten thousand rows), while the
    history's newest row number costs one index step. One per console; thread-safe."""

    SIZE = 256

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[str, int, int], dict[tuple[str, str], int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, int]) -> dict[tuple[str, str], int] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: tuple[str, int, int], moves: dict[tuple[str, str], int]) -> None:
        with self._lock:
            self._kept[key] = moves
            while len(self._kept) > self.SIZE:
                self._kept.popitem(last=False)


def flow(ctx: ServiceContext, version: JourneyVersion, cache: FlowCache | None = None) -> Flow:
    """Where the version's contacts wait now, and how many moved along each path, over the history
    kept (SFMC's 30 days of the engine clock, counted from the hour)."""
    with ctx.uow() as uow:
        since = (engine_now(uow, ctx.clock) - HISTORY_RETENTION_MS) // HOUR_MS * HOUR_MS
        waiting = uow.console.waiting(version.definition_id)
        key = (version.definition_id, since, uow.console.history_mark())
        moves = cache.get(key) if cache is not None else None
        if moves is None:
            moves = uow.console.moves(version.mid, version.definition_id, since)
            if cache is not None:
                cache.put(key, moves)
    return Flow(waiting=waiting, moves=moves)


def event_uses(ctx: ServiceContext, mid: int, event_keys: list[str]) -> list[EventUse]:
    with ctx.uow() as uow:
        return uow.console.journeys_using_events(mid, event_keys)


def find_contacts(ctx: ServiceContext, mid: int, text: str) -> list[ContactMatch]:
    with ctx.uow() as uow:
        return uow.console.contacts(mid, text, MAX_CONTACT_MATCHES)


def contact_timeline(ctx: ServiceContext, mid: int, contact_key: str) -> list[HistoryRow]:
    """Every kept history row of one contact, across journeys, oldest first (at most 1,000)."""
    with ctx.uow() as uow:
        now = engine_now(uow, ctx.clock)
        query = HistoryQuery(
            mid=mid, start_ms=now - HISTORY_RETENTION_MS, contact_keys=(contact_key,), descending=False
        )
        return [row for _, row in uow.history.rows(query, MAX_TIMELINE_ROWS)]
