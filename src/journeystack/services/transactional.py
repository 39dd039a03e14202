"""Transactional-send journeys' own lifecycle: SFMC's undocumented transactional/create, /pause and
/resume (what Journey Builder and mcdev call), each naming the journey by `definitionId`.

A transactional-send journey has one version (services/journeys.py refuses a second), is updated in
place while Paused (domain/journey.py), and is published synchronously: transactional/create
answers once the journey is Published, as SFMC's `{"errors": []}` does.
"""

from __future__ import annotations

from dataclasses import replace

from journeystack.domain import transactional as rules
from journeystack.domain.audit import AuditAction, entry_for
from journeystack.domain.journey import JourneyVersion, Status, next_modified_ms
from journeystack.domain.lifecycle import check_routes_kind, check_transition
from journeystack.domain.queries import MAX_PAGE_SIZE, JourneyQuery
from journeystack.domain.spec import bounded
from journeystack.domain.transactional import EmailDefinition
from journeystack.errors import EmailDefinitionNotFound, InvalidStateTransition, TransactionalPublishFailed
from journeystack.storage.ports import UnitOfWork

from . import population, verdict
from .clock import engine_now
from .context import ServiceContext
from .journeys import SYSTEM_USER
from .lifecycle import CONCURRENT_CHANGE, operation_problems


def email_definitions(ctx: ServiceContext, mid: int) -> list[EmailDefinition]:
    """The business unit's transactional email definitions (one per Published or Paused
    transactional-send journey), most recently modified first."""
    found: list[EmailDefinition] = []
    page = 1
    while True:
        query = JourneyQuery(page=page, page_size=MAX_PAGE_SIZE, definition_type="Transactional")
        with ctx.uow() as uow:
            listed = uow.journeys.list(mid, query, with_spec=True)
        found += [d for d in map(rules.email_definition, listed.items) if d is not None]
        if len(listed.items) < MAX_PAGE_SIZE:
            return found
        page += 1


def email_definition(ctx: ServiceContext, mid: int, key: str) -> EmailDefinition:
    """Raises EmailDefinitionNotFound."""
    found = next((d for d in email_definitions(ctx, mid) if d.key == key), None)
    if found is None:
        raise EmailDefinitionNotFound()
    return found


def _journey(uow: UnitOfWork, mid: int, definition_id: str, verb: str) -> JourneyVersion:
    """The journey `definitionId` names (its id: a transactional journey's one version has the
    journey's id as its definitionId), if `verb` may be applied to it. Raises NotFound,
    NotStandardJourney, InvalidStateTransition."""
    found = uow.journeys.latest(mid, journey_id=definition_id.lower())
    if found is None:
        found = uow.journeys.by_definition(definition_id.lower())
        found = found if found is not None and found.mid == mid else None
    if found is not None:
        uow.journeys.lock_journey(mid, found.id)
        found = uow.journeys.get(mid, found.version, journey_id=found.id)
    target = check_transition(found, "publish" if verb == "create" else verb)
    check_routes_kind(target, verb, transactional_route=True)
    return target


def create(ctx: ServiceContext, mid: int, definition_id: str, *, user: str = SYSTEM_USER) -> JourneyVersion:
    """Publish a Draft transactional-send journey now (SFMC: and create its transactional email
    definition). Its lastPublishedDate stays "never", as SFMC leaves it for journeys published
    this way.

    Raises NotFound, NotStandardJourney, InvalidStateTransition (not a Draft, or an operation in
    flight), TransactionalPublishFailed (the publish checks' errors).
    """
    with ctx.uow(write=True) as uow:
        target = _journey(uow, mid, definition_id, "create")
        errors, _warnings = verdict.stored_publish_problems(ctx, uow, target)
        if errors:
            limits = ctx.limits
            problems = bounded(errors, limits.reported_problems, limits.problem_message_bytes)
            raise TransactionalPublishFailed(operation_problems(problems, target))
        now = ctx.clock.now_ms()
        definition = rules.published(target)
        if definition != target.definition:  # the email activity now names its email definition
            rewritten = replace(
                target, definition=definition, modified_ms=next_modified_ms(target.modified_ms, now)
            )
            if not uow.journeys.replace_if_unmodified(rewritten, target.modified_ms):
                raise InvalidStateTransition(CONCURRENT_CHANGE)
            target = rewritten
        modified = next_modified_ms(target.modified_ms, now)
        if not uow.journeys.set_status(target, Status.PUBLISHED, modified_ms=modified):
            raise InvalidStateTransition(CONCURRENT_CHANGE)
        published = replace(target, status=Status.PUBLISHED, modified_ms=modified)
        population.on_publish(uow, published, engine_now(uow, ctx.clock))
        uow.audit.add(
            entry_for(
                published, AuditAction.PUBLISH, user=user, now_ms=now, publish_status="PublishCompleted"
            )
        )
        uow.commit()
    return published


def pause(ctx: ServiceContext, mid: int, definition_id: str, *, user: str = SYSTEM_USER) -> JourneyVersion:
    """Pause a Published transactional-send journey: no entries until it is resumed, and it may be
    updated meanwhile. Raises NotFound, NotStandardJourney, InvalidStateTransition."""
    return _switch(ctx, mid, definition_id, "pause", user)


def resume(ctx: ServiceContext, mid: int, definition_id: str, *, user: str = SYSTEM_USER) -> JourneyVersion:
    """Resume a Paused transactional-send journey. Raises NotFound, NotStandardJourney,
    InvalidStateTransition."""
    return _switch(ctx, mid, definition_id, "resume", user)


def _switch(ctx: ServiceContext, mid: int, definition_id: str, verb: str, user: str) -> JourneyVersion:
    """Pause or resume. The journey's modifiedDate stays: SFMC switches the journey's transactional
    email definition, not the journey (mcdev pauses a journey, then updates it with the
    modifiedDate it read before pausing, and SFMC takes that update)."""
    with ctx.uow(write=True) as uow:
        target = _journey(uow, mid, definition_id, verb)
        status, action = (
            (Status.PAUSED, AuditAction.PAUSE) if verb == "pause" else (Status.PUBLISHED, AuditAction.RESUME)
        )
        if not uow.journeys.set_status(target, status, modified_ms=target.modified_ms):
            raise InvalidStateTransition(CONCURRENT_CHANGE)
        if verb == "pause":
            population.on_pause(uow, target)
        else:
            population.on_resume(uow, target, engine_now(uow, ctx.clock))
        done = replace(target, status=status)
        uow.audit.add(entry_for(done, action, user=user, now_ms=ctx.clock.now_ms()))
        uow.commit()
    return done
