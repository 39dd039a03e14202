"""Journey use cases: create (or new version), read, list, update and delete journey versions."""

from __future__ import annotations

from dataclasses import replace

from journeystack.domain import journey as rules
from journeystack.domain.audit import AuditAction, entry_for
from journeystack.domain.journey import JourneyDefinition, JourneyVersion, Status, StoredJourney
from journeystack.domain.queries import JourneyQuery, Page
from journeystack.domain.runtime.records import JourneyStats
from journeystack.errors import (
    CriteriaNotFound,
    DraftVersionExists,
    InvalidRequest,
    NotFound,
    Problem,
    ResponseTooLarge,
    StaleModifiedDate,
    VersionNotEditable,
)
from journeystack.storage.ports import TooMuchToRead, UnitOfWork, WriteConflict

from . import calls
from .context import ServiceContext
from .folders import assign_category

SYSTEM_USER = "journeystack"


def create_journey(
    ctx: ServiceContext,
    mid: int,
    definition: JourneyDefinition,
    *,
    user: str = SYSTEM_USER,
    create_missing_folders: bool = False,
) -> JourneyVersion:
    """Create a journey, or version n+1 when the key exists and its latest version is not Draft.

    Raises SpecValidationFailed (Journey Spec save checks), CategoryNotFound (categoryId names no
    journey folder; without one the journey goes into the root journey folder; with
    `create_missing_folders`, as control-plane seeding asks, one that names no folder gets one),
    DraftVersionExists (errorcode 30004) when
    the latest version is a Draft: SFMC's docs are silent; journeystack refuses rather than overwrite
    (docs/differences.md).
    """
    rules.check_savable(definition, ctx.limits)
    with ctx.uow(write=True) as uow:
        definition = assign_category(ctx, uow, mid, definition, create_missing=create_missing_folders)
        latest = uow.journeys.latest(mid, key=definition.key)
        now = ctx.clock.now_ms()
        if latest is None:
            version = rules.first_version(definition, mid=mid, ids=ctx.ids, now_ms=now)
        else:
            version = rules.next_version(latest, definition, ids=ctx.ids, now_ms=now)
        version = replace(version, definition=_with_server_members(uow, mid, definition, version.id))
        try:
            uow.journeys.add(version)
        except WriteConflict:
            # Another request created this key (or its next version) a moment ago; that one is a Draft.
            raise DraftVersionExists() from None
        uow.audit.add(entry_for(version, AuditAction.CREATE, user=user, now_ms=now))
        uow.commit()
    calls.lifecycle_later(ctx, version, "save")
    return version


def _with_server_members(
    uow: UnitOfWork, mid: int, definition: JourneyDefinition, journey_id: str
) -> JourneyDefinition:
    """`rules.with_server_members`, with the id of the event definition the trigger names by key."""
    event_key, event_id = rules.trigger_event_reference(definition)
    found = uow.events.get(mid, key=event_key) if event_key is not None and event_id is None else None
    return rules.with_server_members(definition, journey_id, event_id=found.id if found else None)


def get_journey(
    ctx: ServiceContext,
    mid: int,
    *,
    key: str | None = None,
    journey_id: str | None = None,
    version: int | None = None,
) -> JourneyVersion:
    """One version (default: the latest). Raises CriteriaNotFound when it is missing or Deleted."""
    with ctx.uow() as uow:
        if version is None:
            found = uow.journeys.latest(mid, key=key, journey_id=journey_id)
        else:
            found = uow.journeys.get(mid, version, key=key, journey_id=journey_id)
    if not rules.readable(found):
        raise CriteriaNotFound()
    return found


def read_journey(
    ctx: ServiceContext,
    mid: int,
    *,
    key: str | None = None,
    journey_id: str | None = None,
    version: int | None = None,
    with_stats: bool = False,
) -> StoredJourney:
    """`get_journey`, with the Journey Spec document left as stored (for answering a GET), and the
    version's population stats when asked, or always for the definition types whose GETs carry
    them in SFMC's answers (`rules.carries_stats`)."""
    with ctx.uow() as uow:
        found = uow.journeys.stored(mid, version, key=key, journey_id=journey_id)
        if found is None or not rules.readable(found.version):
            raise CriteriaNotFound()
        if with_stats or rules.carries_stats(found.version.definition.definition_type):
            definition_id = found.version.definition_id
            found = replace(
                found, stats=uow.runtime.stats([definition_id]).get(definition_id, JourneyStats())
            )
    return found


def list_journeys(
    ctx: ServiceContext, mid: int, query: JourneyQuery, *, with_spec: bool
) -> Page[JourneyVersion]:
    """A page of journey versions; without `with_spec` the Journey Spec documents are not loaded.

    Raises ResponseTooLarge when the page's documents add up to more than the limit
    (JOURNEYSTACK_MAX_RESPONSE_BYTES): SFMC documents no such bound, but one answer of 50 journeys
    of 4 MiB is 200 MiB built in memory, so journeystack refuses it and names the way out."""
    return list_journeys_with_stats(ctx, mid, query, with_spec=with_spec, with_stats=False)[0]


def list_journeys_with_stats(
    ctx: ServiceContext, mid: int, query: JourneyQuery, *, with_spec: bool = True, with_stats: bool
) -> tuple[Page[JourneyVersion], dict[str, JourneyStats] | None]:
    """`list_journeys`, and each version's population stats when asked. Raises ResponseTooLarge."""
    budget = ctx.limits.response_bytes
    try:
        with ctx.uow() as uow:
            page = uow.journeys.list(mid, query, with_spec=with_spec, spec_budget=budget)
            if not with_stats:
                return page, None
            found = uow.runtime.stats([v.definition_id for v in page.items])
    except TooMuchToRead:
        raise ResponseTooLarge(
            [
                Problem(
                    f"This page of journeys is larger than the {budget}-byte limit "
                    "(JOURNEYSTACK_MAX_RESPONSE_BYTES); ask for a smaller $pageSize, or leave out extras.",
                    10005,
                    "$pageSize",
                )
            ]  # fmt: skip
        ) from None
    return page, {v.definition_id: found.get(v.definition_id, JourneyStats()) for v in page.items}


def update_journey(
    ctx: ServiceContext,
    mid: int,
    definition: JourneyDefinition,
    *,
    version: int,
    seen_modified: str | None,
    journey_id: str | None = None,
    query_version: int | None = None,
    path_key: str | None = None,
    user: str = SYSTEM_USER,
) -> JourneyVersion:
    """Replace the definition of one Draft version (PUT).

    The journey is named by `journey_id` when given (PUT /interactions/{id}), otherwise by the
    definition's key. Raises CategoryNotFound, NotFound, InvalidRequest (key differs from the journey's),
    VersionNotEditable, StaleModifiedDate, NoChange. The modifiedDate check and the write are one
    compare-and-swap UPDATE, so of many concurrent updates from the same state exactly one wins.
    """
    rules.check_selectors(definition, version, query_version=query_version, path_key=path_key)
    rules.check_savable(definition, ctx.limits)
    selector = {"journey_id": journey_id} if journey_id is not None else {"key": definition.key}
    with ctx.uow(write=True) as uow:
        definition = assign_category(ctx, uow, mid, definition)
        current = uow.journeys.get(mid, version, **selector)
        if current is None:
            raise NotFound()
        if current.key != definition.key:
            raise InvalidRequest(
                [Problem("key does not match the key of the journey being updated.", 10005, "key")]
            )
        definition = _with_server_members(uow, mid, definition, current.id)
        seen_ms = rules.check_update(current, definition, seen_modified)
        new = rules.updated(current, definition, now_ms=ctx.clock.now_ms())
        if not uow.journeys.replace_if_unmodified(new, seen_ms):
            _raise_lost_race(uow.journeys.get(mid, version, **selector))
        uow.audit.add(entry_for(new, AuditAction.MODIFY, user=user, now_ms=new.modified_ms))
        uow.commit()
    calls.lifecycle_later(ctx, new, "save")
    return new


def _raise_lost_race(fresh: JourneyVersion | None) -> None:
    if fresh is None:
        raise NotFound()
    if not fresh.editable:
        raise VersionNotEditable()
    raise StaleModifiedDate()


def delete_journey(
    ctx: ServiceContext,
    mid: int,
    *,
    key: str | None = None,
    journey_id: str | None = None,
    version: int | None = None,
    user: str = SYSTEM_USER,
) -> str:
    """Mark one version, or every version, Deleted; returns the journey id.

    Raises NotFound when nothing undeleted matches, InvalidStateTransition for a running version.
    """
    with ctx.uow(write=True) as uow:
        if version is None:
            targets = uow.journeys.versions(mid, key=key, journey_id=journey_id)
        else:
            one = uow.journeys.get(mid, version, key=key, journey_id=journey_id)
            targets = [one] if one is not None else []
        targets = [t for t in targets if t.status is not Status.DELETED]
        if not targets:
            raise NotFound()
        for target in targets:
            rules.check_deletable(target)
        now = ctx.clock.now_ms()
        for target in targets:
            done = rules.deleted(target, now_ms=now)
            if not uow.journeys.set_status(target, Status.DELETED, modified_ms=done.modified_ms):
                raise VersionNotEditable()
            uow.audit.add(entry_for(done, AuditAction.DELETE, user=user, now_ms=now))
        uow.commit()
    return targets[0].id
