"""Lifecycle use cases: publish and validate (as operations run by a worker), stop, pause, resume,
pause expiry, and the audit log."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from journeystack.domain.audit import AuditAction, AuditEntry, entry_for
from journeystack.domain.journey import JourneyVersion, Status, activity_ids, next_modified_ms, spec_document
from journeystack.domain.lifecycle import (
    DAY_MS,
    RUNNING,
    Operation,
    OperationKind,
    OperationProblem,
    OperationState,
    PauseOptions,
    allows,
    check_routes_kind,
    check_transition,
    expiry_status,
)
from journeystack.domain.queries import Page
from journeystack.domain.spec import ERROR, SpecProblem, bounded, event_reference
from journeystack.domain.spec.problems import EVENT_DEFINITION_NOT_FOUND
from journeystack.errors import (
    CriteriaNotFound,
    InvalidStateTransition,
    NotFound,
    OperationNotFound,
    PauseTargetMissing,
)
from journeystack.storage.ports import UnitOfWork

from . import calls, population, verdict
from .clock import engine_now
from .context import ServiceContext
from .journeys import SYSTEM_USER

log = logging.getLogger("journeystack.lifecycle")

CONCURRENT_CHANGE = "The interaction changed while this request was processed; try again."
# The code of an operation given up after too many attempts (not a check: journeystack's own).
GAVE_UP = "121997"


def _version(
    uow: UnitOfWork, mid: int, version: int, *, key: str | None, journey_id: str | None
) -> JourneyVersion | None:
    return uow.journeys.get(mid, version, key=key, journey_id=journey_id)


def start_operation(
    ctx: ServiceContext,
    mid: int,
    kind: OperationKind,
    *,
    version: int,
    delay_ms: int,
    key: str | None = None,
    journey_id: str | None = None,
    user: str = SYSTEM_USER,
) -> Operation:
    """Queue a publish or validate of one version; the worker runs it after `delay_ms`.

    Raises NotFound, InvalidStateTransition ("Cannot publish interaction in Published status.", ...).
    While it is in process the version refuses updates (409).
    """
    with ctx.uow(write=True) as uow:
        target = check_transition(_version(uow, mid, version, key=key, journey_id=journey_id), kind.value)
        now = ctx.clock.now_ms()
        op = Operation(
            id=ctx.ids.new_id(),
            mid=mid,
            kind=kind,
            journey_id=target.id,
            version=target.version,
            definition_id=target.definition_id,
            state=OperationState.IN_PROCESS,
            requested_by=user,
            created_ms=now,
            run_after_ms=now + delay_ms,
        )
        if not uow.journeys.attach_operation(target, op.id):
            raise InvalidStateTransition(CONCURRENT_CHANGE)
        uow.operations.add(op)
        uow.commit()
    return op


def get_operation(ctx: ServiceContext, mid: int, operation_id: str, kind: OperationKind) -> Operation:
    """Raises OperationNotFound (unknown id, another business unit's, or the other kind's)."""
    with ctx.uow() as uow:
        op = uow.operations.get(mid, operation_id)
    if op is None or op.kind is not kind:
        raise OperationNotFound()
    return op


def operation_problems(problems: list[SpecProblem], target: JourneyVersion) -> tuple[OperationProblem, ...]:
    """The publish checks' problems of `target` as its status document (or a refused
    transactional/create) lists them."""
    ids = activity_ids(target.definition)
    return tuple(_problem(p, target, ids) for p in problems)


def _problem(p: SpecProblem, target: JourneyVersion, ids: dict[str, str]) -> OperationProblem:
    """A check's problem as the status document lists it. An activity's carries its key, id and type,
    and an error also the version's definitionId, as SFMC's recorded publishStatus items do."""
    info: dict[str, Any] = {}
    if p.activity_key is not None:
        info["activityKey"] = p.activity_key
        activity_id = ids.get(p.activity_key)
        if activity_id is not None:
            info["activityId"] = activity_id
    if p.activity_type is not None:
        info["activityType"] = p.activity_type
    if p.activity_key is not None and p.level == ERROR:
        info["definitionId"] = target.definition_id
    if p.path:
        info["path"] = p.path
    return OperationProblem(code=p.code, detail=p.message, level=p.level, info=info)


def run_due_operations(ctx: ServiceContext, *, worker: str, lease_ms: int = 30_000, limit: int = 20) -> int:
    """Claim the operations that are due and run each; returns how many were claimed.

    A claim older than `lease_ms` is taken over: its worker is presumed dead, and since an
    operation's effects commit together with its completion, running it again is safe. But not
    forever: a claim past `ctx.limits.operation_attempts` gives the operation up with status Error
    (a journey whose checks crash their process, or fail every time, must not stay locked).
    """
    with ctx.uow(write=True) as uow:
        claimed = uow.operations.claim_due(ctx.clock.now_ms(), worker, lease_ms, limit)
        uow.commit()
    for op in claimed:
        try:
            if op.attempts > ctx.limits.operation_attempts:
                _give_up(ctx, op, worker)
            else:
                _run(ctx, op, worker)
        except Exception:
            log.exception("operation %s failed unexpectedly; it will be retried after its lease", op.id)
    return len(claimed)


def _give_up(ctx: ServiceContext, op: Operation, worker: str) -> None:
    detail = (
        f"journeystack gave up on this {op.kind.value} after {op.attempts - 1} attempts that did not "
        "finish (JOURNEYSTACK_OPERATION_ATTEMPTS); the version is unlocked and unchanged."
    )
    now = ctx.clock.now_ms()
    with ctx.uow(write=True) as uow:
        uow.journeys.lock_journey(op.mid, op.journey_id)
        target = uow.journeys.get(op.mid, op.version, journey_id=op.journey_id)
        finished = _finish(op, (OperationProblem(GAVE_UP, detail, "Error"),), (), now)
        if target is not None and target.operation_id == op.id:
            uow.journeys.detach_operation(op.mid, op.journey_id, op.version, op.id)
            if op.kind is OperationKind.PUBLISH:
                _apply_publish(ctx, uow, target, finished, now)
        if uow.operations.finish(finished, worker=worker):
            uow.commit()


def _check(
    ctx: ServiceContext, op: Operation
) -> tuple[JourneyVersion, list[SpecProblem], list[SpecProblem]] | None:
    """The version and its publish checks' problems, bounded, read and computed outside any
    write transaction (the checks may take a while; writers must not wait on them). None when
    the version is gone or no longer carries this operation."""
    with ctx.uow() as uow:
        target = uow.journeys.get(op.mid, op.version, journey_id=op.journey_id)
        if target is None or target.operation_id != op.id or not allows(target.status, op.kind.value):
            return None
        errors, warnings = verdict.stored_publish_problems(ctx, uow, target)
    if ctx.outbound is not None and not errors:
        # On a journey otherwise fine, its custom activities' validate (and for a publish, then
        # publish) calls, made here outside any transaction.
        steps = ("validate",) if op.kind is OperationKind.VALIDATE else ("validate", "publish")
        errors += calls.lifecycle_problems(ctx, target, steps)
    limits = ctx.limits
    return (
        target,
        bounded(errors, limits.reported_problems, limits.problem_message_bytes),
        bounded(warnings, limits.reported_problems, limits.problem_message_bytes),
    )


def _run(ctx: ServiceContext, op: Operation, worker: str) -> None:
    checked = _check(ctx, op)
    with ctx.uow(write=True) as uow:
        uow.journeys.lock_journey(op.mid, op.journey_id)
        target = uow.journeys.get(op.mid, op.version, journey_id=op.journey_id)
        now = ctx.clock.now_ms()
        # While the operation is attached the version cannot change (updates, deletes and other
        # operations are refused), so the checks still hold; only the entry event may have gone.
        if (
            checked is None
            or target is None
            or target.operation_id != op.id
            or not allows(target.status, op.kind.value)
        ):
            status = target.status.value if target is not None else "Deleted"
            detail = f"Cannot {op.kind.value} interaction in {status} status."
            finished = _finish(op, (OperationProblem("121999", detail, "Error"),), (), now)
            if target is not None and target.operation_id == op.id:
                uow.journeys.detach_operation(op.mid, op.journey_id, op.version, op.id)
        else:
            _, spec_errors, spec_warnings = checked
            errors = operation_problems(spec_errors, target) + _event_gone(uow, op, spec_errors)
            warnings = operation_problems(spec_warnings, target)
            finished = _finish(op, errors, warnings, now)
            if op.kind is OperationKind.PUBLISH:
                _apply_publish(ctx, uow, target, finished, now)
            uow.journeys.detach_operation(op.mid, op.journey_id, op.version, op.id)
        if not uow.operations.finish(finished, worker=worker):
            return  # another worker took the claim over; leave the outcome to it
        uow.commit()


def _event_gone(uow: UnitOfWork, op: Operation, errors: list[SpecProblem]) -> tuple[OperationProblem, ...]:
    """The entry event checked before the write transaction, checked again inside it: an event
    deleted in between must not let the journey publish against nothing."""
    if errors:
        return ()
    target = uow.journeys.get(op.mid, op.version, journey_id=op.journey_id)
    reference = event_reference(spec_document(target.definition)) if target is not None else None
    if reference is None:
        return ()
    if (reference.key is not None and uow.events.get(op.mid, key=reference.key) is not None) or (
        reference.event_id is not None
        and uow.events.get(op.mid, event_id=reference.event_id.lower()) is not None
    ):
        return ()
    detail = "the entry event's event definition was deleted while the journey was checked"
    return (OperationProblem(EVENT_DEFINITION_NOT_FOUND, detail, "Error", {"path": "triggers"}),)


def _finish(
    op: Operation, errors: tuple[OperationProblem, ...], warnings: tuple[OperationProblem, ...], now: int
) -> Operation:
    state = OperationState.ERROR if errors else OperationState.COMPLETED
    return replace(op, state=state, errors=errors, warnings=warnings, finished_ms=now)


def _apply_publish(
    ctx: ServiceContext, uow: UnitOfWork, target: JourneyVersion, op: Operation, now: int
) -> None:
    """Publish: the version becomes Published and every other running version Unpublished."""
    if op.state is OperationState.COMPLETED:
        engine_at = engine_now(uow, ctx.clock)
        for other in uow.journeys.versions(target.mid, journey_id=target.id):
            if other.version != target.version and other.status in RUNNING:
                modified = next_modified_ms(other.modified_ms, now)
                uow.journeys.set_status(other, Status.UNPUBLISHED, modified_ms=modified)
                if other.status is Status.PAUSED:
                    # Finishing: its contacts go on to the end of their paths, so nothing stays held.
                    population.on_resume(uow, other, engine_at)
                uow.audit.add(entry_for(other, AuditAction.UNPUBLISH, user=op.requested_by, now_ms=now))
        modified = next_modified_ms(target.modified_ms, now)
        uow.journeys.set_status(target, Status.PUBLISHED, modified_ms=modified, last_published_ms=now)
        population.on_publish(uow, target, engine_at)
    errors = [{"ErrorCode": e.code, "ErrorDetail": e.detail} for e in op.errors]
    status = "PublishCompleted" if op.state is OperationState.COMPLETED else "Error"
    uow.audit.add(
        entry_for(
            target, AuditAction.PUBLISH, user=op.requested_by, now_ms=now,
            publish_status=status, publish_request_id=op.id, errors=errors,
        )
    )  # fmt: skip


def stop(
    ctx: ServiceContext,
    mid: int,
    *,
    version: int,
    key: str | None = None,
    journey_id: str | None = None,
    user: str = SYSTEM_USER,
) -> JourneyVersion:
    """Stop one version (terminal); its custom activities' stop URLs are called afterwards. Raises
    NotFound, InvalidStateTransition naming its status."""
    stopped = _transition(ctx, mid, "stop", Status.STOPPED, AuditAction.STOP, version, key, journey_id, user)
    calls.lifecycle_later(ctx, stopped, "stop")
    return stopped


def pause(
    ctx: ServiceContext,
    mid: int,
    options: PauseOptions,
    *,
    version: int | None,
    all_versions: bool,
    key: str | None = None,
    journey_id: str | None = None,
    user: str = SYSTEM_USER,
) -> list[JourneyVersion]:
    """Pause one Published version, or every Published version with all_versions.

    Raises PauseTargetMissing (neither given), NotFound, InvalidStateTransition.
    """
    return _many(ctx, mid, "pause", options, version, all_versions, key, journey_id, user)


def resume(
    ctx: ServiceContext,
    mid: int,
    *,
    version: int | None,
    all_versions: bool,
    key: str | None = None,
    journey_id: str | None = None,
    user: str = SYSTEM_USER,
) -> list[JourneyVersion]:
    """Resume one Paused version, or every Paused version with all_versions."""
    return _many(ctx, mid, "resume", None, version, all_versions, key, journey_id, user)


def _many(
    ctx: ServiceContext,
    mid: int,
    verb: str,
    options: PauseOptions | None,
    version: int | None,
    all_versions: bool,
    key: str | None,
    journey_id: str | None,
    user: str,
) -> list[JourneyVersion]:
    if version is None and not all_versions:
        raise PauseTargetMissing()
    target_status = Status.PAUSED if verb == "pause" else Status.PUBLISHED
    action = AuditAction.PAUSE if verb == "pause" else AuditAction.RESUME
    if version is not None:
        return [_transition(ctx, mid, verb, target_status, action, version, key, journey_id, user, options)]
    with ctx.uow(write=True) as uow:
        versions = uow.journeys.versions(mid, key=key, journey_id=journey_id)
        if not versions or all(v.status is Status.DELETED for v in versions):
            raise NotFound()
        uow.journeys.lock_journey(mid, versions[0].id)
        check_routes_kind(versions[-1], verb, transactional_route=False)
        source = Status.PUBLISHED if verb == "pause" else Status.PAUSED
        candidates = [v for v in uow.journeys.versions(mid, journey_id=versions[0].id) if v.status is source]
        if not candidates:
            raise InvalidStateTransition(
                f"Cannot {verb} interaction: no version is in {source.value} status."
            )
        done = [_apply(uow, ctx, v, target_status, action, user, options) for v in candidates]
        uow.commit()
    return done


def _transition(
    ctx: ServiceContext,
    mid: int,
    verb: str,
    status: Status,
    action: AuditAction,
    version: int,
    key: str | None,
    journey_id: str | None,
    user: str,
    options: PauseOptions | None = None,
) -> JourneyVersion:
    with ctx.uow(write=True) as uow:
        found = _version(uow, mid, version, key=key, journey_id=journey_id)
        if found is not None:
            uow.journeys.lock_journey(mid, found.id)
            found = _version(uow, mid, version, key=key, journey_id=journey_id)
        target = check_transition(found, verb)
        if verb in ("pause", "resume"):
            check_routes_kind(target, verb, transactional_route=False)
        done = _apply(uow, ctx, target, status, action, user, options)
        uow.commit()
    return done


def _apply(
    uow: UnitOfWork,
    ctx: ServiceContext,
    target: JourneyVersion,
    status: Status,
    action: AuditAction,
    user: str,
    options: PauseOptions | None,
    **details: Any,
) -> JourneyVersion:
    now = ctx.clock.now_ms()
    # Pause lengths and the contacts' side of a change run on the engine's clock (services/clock.py).
    engine_at = engine_now(uow, ctx.clock)
    modified = next_modified_ms(target.modified_ms, now)
    paused_until = engine_at + options.paused_days * DAY_MS if options is not None else None
    pause_options = {**options.as_dict(), "paused_at_ms": engine_at} if options is not None else None
    if not uow.journeys.set_status(
        target, status, modified_ms=modified, paused_until_ms=paused_until, pause_options=pause_options
    ):
        raise InvalidStateTransition(CONCURRENT_CHANGE)
    if action is AuditAction.STOP:
        details.setdefault("contacts_ejected", population.on_stop(uow, target, engine_at))
    elif action is AuditAction.PAUSE:
        population.on_pause(uow, target)
    elif action is AuditAction.RESUME:
        population.on_resume(uow, target, engine_at)
    done = replace(
        target, status=status, modified_ms=modified, paused_until_ms=paused_until, pause_options=pause_options
    )
    uow.audit.add(entry_for(done, action, user=user, now_ms=now, **details))
    return done


def expire_pause(ctx: ServiceContext, uow: UnitOfWork, version: JourneyVersion) -> JourneyVersion:
    """Apply GuardrailAction to a Paused version whose PausedDays ran out (the engine calls this in
    its transaction, in due order with the rest of the journey's work)."""
    status = expiry_status(version.pause_options)
    action = AuditAction.STOP if status is Status.STOPPED else AuditAction.RESUME
    done = _apply(uow, ctx, version, status, action, "journeystack (pause expired)", None)
    if status is Status.STOPPED:
        calls.lifecycle_later(ctx, done, "stop")  # queued now, made outside this transaction
    return done


def audit_log(
    ctx: ServiceContext,
    mid: int,
    action: AuditAction | None,
    *,
    version: int | None,
    page: int,
    page_size: int,
    key: str | None = None,
    journey_id: str | None = None,
) -> Page[AuditEntry]:
    """Audit entries of a journey, newest first. Raises CriteriaNotFound for an unknown journey."""
    with ctx.uow() as uow:
        latest = uow.journeys.latest(mid, key=key, journey_id=journey_id)
        if latest is None:
            raise CriteriaNotFound()
        return uow.audit.list(mid, latest.id, action=action, version=version, page=page, page_size=page_size)
