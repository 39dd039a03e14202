"""Custom activities' calls to the outside world: claiming execute calls under a lease, recording
their answers, and the lifecycle calls (save, validate, publish, stop) at those journey events.

Nothing here makes a call: engine/outbound.py does, outside any transaction and off the server's
event loop. A claim is a lease (wall clock): a call whose claimer died is claimed again once its
lease runs out, so every call is made at least once; a retried or re-made call carries the same
activityId, definitionInstanceId and activityInstanceId, so a receiver can drop duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from journeystack.domain.journey import JourneyVersion, Status
from journeystack.domain.jwt import encode_hs256
from journeystack.domain.outbound import OutboundRequest, Target
from journeystack.domain.runtime.calls import Call, CallAnswer, CallSpec
from journeystack.domain.runtime.plan import PlanError
from journeystack.domain.spec.problems import ERROR, SpecProblem

from .context import Outbound, ServiceContext
from .engine import Engine, apply_answers
from .verdict import custom_activities

log = logging.getLogger("journeystack.calls")

# A publish error of journeystack's own, next to the other 1211xx codes (121113, a URL the engine
# may not call, is services/verdict.py's): a validate or publish call that failed.
LIFECYCLE_CALL_FAILED: Final = "121114"
# Lifecycle calls wait at most this long for each answer (the operation's lease is 30 s).
LIFECYCLE_TIMEOUT_MS: Final = 10_000
_RUNNING: Final = frozenset({Status.PUBLISHED, Status.UNPUBLISHED, Status.PAUSED})
# Headers an activity may not set: the engine's own, and those that frame the request.
_RESERVED_HEADERS: Final = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection", "expect", "upgrade"}
)


@dataclass(frozen=True, slots=True)
class CallWork:
    """A claimed call for the caller: the request to make, or why it is not made."""

    call_id: str
    activity_key: str
    concurrency_key: tuple[str, str]
    request: OutboundRequest | None
    refused: str | None = None


def signed_body(envelope: Mapping[str, Any], use_jwt: bool, secret: str) -> tuple[bytes, str]:
    """The body as sent: the JSON envelope, or its HS256 JWT (`Content-Type: application/jwt`)."""
    if use_jwt:
        return encode_hs256(envelope, secret).encode("ascii"), "application/jwt"
    return orjson.dumps(envelope), "application/json"


def _headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, value)
        for name, value in headers.items()
        if name.lower() not in _RESERVED_HEADERS and "\r" not in name + value and "\n" not in name + value
    )


def execute_request(outbound: Outbound, call: Call, spec: CallSpec, target: Target) -> OutboundRequest:
    body, content_type = signed_body(call.envelope, spec.use_jwt, outbound.secret_for(call.mid))
    return OutboundRequest(
        target=target, body=body, content_type=content_type, headers=_headers(call.headers),
        timeout_ms=spec.timeout_ms, retry_count=spec.retry_count, retry_delay_ms=spec.retry_delay_ms,
        mid=call.mid, shown=call.envelope,
    )  # fmt: skip


def claim_calls(
    ctx: ServiceContext,
    engine: Engine,
    *,
    owner: str,
    capacity: int,
    grace_ms: int,
    look_around: bool = False,
) -> list[CallWork]:
    """Lease up to `capacity` calls to make, each activity's oldest first, never more in flight per
    activity than its concurrentRequests (counted over every process: claims take turns). A call
    whose version no longer runs, or whose URL the engine may not call, is claimed with the reason
    it is not made. The activities looked at are those this process stored calls for; with
    `look_around`, also every other one with calls waiting (stored by another process)."""
    outbound = ctx.outbound
    assert outbound is not None
    work: list[CallWork] = []
    with ctx.uow() as reader:  # the common case when polled: nothing to claim, and no write lock taken
        if not reader.calls.has_claimable(ctx.clock.now_ms()):
            return work
    with ctx.uow(write=True) as uow:
        uow.calls.take_claim_lock()
        now = ctx.clock.now_ms()
        specs: dict[tuple[str, str], tuple[CallSpec | None, str | None]] = {}
        versions: dict[str, JourneyVersion | None] = {}

        def spec_of(definition_id: str, activity_key: str) -> tuple[CallSpec | None, str | None]:
            key = (definition_id, activity_key)
            if key not in specs:
                if definition_id not in versions:
                    versions[definition_id] = uow.journeys.by_definition(definition_id)
                specs[key] = _spec(engine, versions[definition_id], activity_key)
            return specs[key]

        busy = uow.calls.in_flight(now)
        chosen: dict[str, tuple[CallSpec | None, str | None]] = {}
        leases: list[tuple[str, int]] = []

        def take(call_id: str, key: tuple[str, str]) -> None:
            spec, refused = spec_of(*key)
            busy[key] = busy.get(key, 0) + 1
            leases.append((call_id, now + (spec.lease_ms if spec is not None else 0) + grace_ms))
            chosen[call_id] = (spec, refused)

        def room_of(key: tuple[str, str]) -> int:
            spec = spec_of(*key)[0]
            limit = spec.concurrency if spec is not None else capacity
            return max(0, min(capacity - len(chosen), limit - busy.get(key, 0)))

        for call_id, definition_id, activity_key in uow.calls.expired(now, capacity):
            if room_of((definition_id, activity_key)) > 0:
                take(call_id, (definition_id, activity_key))
        known = engine.call_activities()
        if look_around:
            known |= uow.calls.due_activities()
        for key in sorted(known):
            room = room_of(key)
            if room <= 0:
                continue
            found = uow.calls.claimable(*key, room)
            for call_id in found:
                take(call_id, key)
            if found:
                engine.remember_call_activities({key})  # one another process stored, looked around
            else:
                engine.forget_call_activity(key)
        uow.calls.lease(leases, owner)
        for call in uow.calls.load(list(chosen)):
            spec, refused = chosen[call.id]
            key = (call.definition_id, call.activity_key)
            target = outbound.policy.check(spec.url) if spec is not None else refused
            if spec is None or not isinstance(target, Target):
                work.append(CallWork(call.id, call.activity_key, key, None, refused or f"{target}"))
            else:
                work.append(
                    CallWork(call.id, call.activity_key, key, execute_request(outbound, call, spec, target))
                )
        uow.commit()
    return work


_NO_LIMIT: Final = CallSpec(url="", in_arguments=[], out_arguments=[], headers={}, timeout_ms=1, retry_count=0,
                            retry_delay_ms=0, concurrency=1_000_000, use_jwt=False)  # fmt: skip


def _spec(
    engine: Engine, version: JourneyVersion | None, activity_key: str
) -> tuple[CallSpec | None, str | None]:
    """A custom activity's settings, or why its calls are not made."""
    if version is None or version.status not in _RUNNING:
        return None, f"the journey version is {version.status.value if version else 'Deleted'}"
    try:
        activity = engine.plan(version).activities.get(activity_key)
    except PlanError as error:
        return None, f"the journey version cannot run: {error}"
    if activity is None or activity.call is None:
        return None, f"the activity {activity_key!r} is not a custom activity of this version"
    return activity.call, None


def record_answers(ctx: ServiceContext, *, owner: str, answers: list[tuple[str, CallAnswer]]) -> None:
    """Record answers in one short transaction, which frees their places under concurrentRequests;
    a lease another caller took over meanwhile keeps its own answer instead. The answers are then
    applied by `apply_recorded`, or by the engine (a paused version's, at resume)."""
    if not answers:
        return
    with ctx.uow(write=True) as uow:
        uow.calls.complete(owner, answers)
        uow.commit()


def apply_recorded(ctx: ServiceContext, engine: Engine, ids: list[str]) -> int:
    """Apply recorded answers (those of `ids` nobody applied yet, of versions not paused) in one
    short transaction: the contacts go on from the custom activity, at the moment they reached it,
    to their next wait. Returns how many were applied."""
    with ctx.uow(write=True) as uow:
        processed = apply_answers(engine, uow, uow.calls.recorded(ids))
        uow.commit()
    engine.after_commit()
    ctx.notify()
    return processed.calls


# --- lifecycle calls --------------------------------------------------------------------------------


def lifecycle_requests(
    outbound: Outbound, version: JourneyVersion, step: str
) -> list[tuple[str, OutboundRequest]]:
    """The `step` calls (save, validate, publish, stop) of a version's custom activities, as
    (activity key, request); URLs the engine may not call are left out (publish reports them)."""
    requests = []
    secret = outbound.secret_for(version.mid)
    for identity, key, spec in custom_activities(version):
        url = spec.lifecycle.get(step)
        target = outbound.policy.check(url) if url else None
        if not isinstance(target, Target):
            continue
        # SFMC does not document the body of lifecycle calls; journeystack sends what identifies
        # the activity and the journey version (docs/runtime.md).
        payload = {
            "activityObjectID": identity, "interactionId": version.id,
            "originalDefinitionId": version.definition_id, "interactionKey": version.key,
            "interactionVersion": str(version.version),
        }  # fmt: skip
        body, content_type = signed_body(payload, spec.lifecycle_jwt, secret)
        request = OutboundRequest(target=target, body=body, content_type=content_type,
                                  timeout_ms=min(spec.timeout_ms, LIFECYCLE_TIMEOUT_MS), mid=version.mid, shown=payload)  # fmt: skip
        requests.append((key, request))
    return requests


def lifecycle_problems(
    ctx: ServiceContext, version: JourneyVersion, steps: tuple[str, ...]
) -> list[SpecProblem]:
    """Make the lifecycle calls of `steps` in order (validate, then publish), each step's calls at
    once; a call that fails is a publish error and stops the steps after it."""
    outbound = ctx.outbound
    if outbound is None:
        return []
    for step in steps:
        requests = lifecycle_requests(outbound, version, step)
        if not requests:
            continue
        answers = outbound.call_now([request for _, request in requests])
        problems = []
        for (key, request), answer in zip(requests, answers, strict=True):
            if not answer.ok:
                detail = answer.describe() + (
                    f"; the answer began: {answer.excerpt}" if answer.excerpt else ""
                )
                text = f"activity {key!r}: the {step} call to {request.target.url} failed ({detail})"
                member = f"configurationArguments.{step}.url"
                problems.append(
                    SpecProblem(LIFECYCLE_CALL_FAILED, text, path=member, level=ERROR, activity_key=key)
                )
        if problems:
            return problems
    return []


def lifecycle_later(ctx: ServiceContext, version: JourneyVersion, step: str) -> None:
    """Make the `step` calls (save, stop) of a version's custom activities soon, without waiting."""
    outbound = ctx.outbound
    if outbound is None:
        return
    try:
        requests = lifecycle_requests(outbound, version, step)
    except Exception:  # a journey that cannot be read as activities has none to call
        log.debug("no %s calls for %s", step, version.definition_id, exc_info=True)
        return
    if requests:
        outbound.call_later([request for _, request in requests])
