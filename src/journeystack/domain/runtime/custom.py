"""The contact steps of the activities that reach outside the journey: custom activities (REST,
RestDecision: the contact waits for the call), engagement splits, Einstein STO waits, Path
Optimizer, Join, and Salesforce object activities. Each returns (the next activity key, whether
the contact is now held), as steps.py's activities do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .binding import resolve_value, to_text
from .calls import Call, activity_instance_id
from .effects import (
    CALLING,
    H_COMPLETE,
    H_WAITING,
    WAITING,
    Effects,
    Instance,
    OutboxMessage,
    PathChoice,
    _scope,
    history_row,
    split_draw,
)
from .engagement import BOUNCE, CLICK, PathTestState, engaged
from .plan import Activity, JourneyPlan
from .salesforce import DATE_CONTACT_ENTERS, PERSON_IN_JOURNEY, record_id, would
from .sto import StoRequest, release_ms

Step = tuple[str | None, bool]


def iso_utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def call(plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects) -> Step:
    """A custom activity: the execute call is stored, with its envelope bound now, and the contact
    waits (status Calling) until its answer is applied."""
    spec = activity.call
    assert spec is not None
    scope = _scope(plan, instance, effects.attributes(instance.contact_key), activity)
    unresolved: list[str] = []
    strict = effects.strict
    in_arguments = resolve_value(spec.in_arguments, scope, strict=strict, unresolved=unresolved)
    out_arguments = resolve_value(spec.out_arguments, scope, strict=strict, unresolved=unresolved)
    headers = {
        str(name): to_text(resolve_value(value, scope, strict=strict, unresolved=unresolved))
        for name, value in spec.headers.items()
    }
    call_id = activity_instance_id(instance.id, activity.key)
    # The documented envelope (engine.md §2.8; runtime-shapes §7 shows a real one).
    envelope = {
        "inArguments": in_arguments,
        "outArguments": out_arguments,
        "activityObjectID": activity.id,
        "journeyId": plan.journey_id,
        "activityId": activity.id,
        "definitionInstanceId": instance.id,
        "activityInstanceId": call_id,
        "keyValue": instance.contact_key,
        "mode": 0,
    }
    note = f"Unresolved bindings (left empty): {', '.join(unresolved)}" if unresolved else None
    effects.calls.append(
        Call(id=call_id, mid=plan.mid, definition_id=plan.definition_id, activity_key=activity.key,
             instance_id=instance.id, contact_key=instance.contact_key, due_ms=now_ms, envelope=envelope,
             headers=headers, note=note)
    )  # fmt: skip
    instance.status = CALLING
    instance.due_ms = None
    instance.wait_kind = "call"
    instance.wait_started_ms = now_ms
    return None, True


_VERBS = {CLICK: "clicked", BOUNCE: "bounced"}


def engagement_split(
    plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects
) -> Step:
    """Yes when the pass's message from the named email activity shows the engagement by now."""
    spec = activity.engagement
    assert spec is not None
    events = effects.engagement(instance, spec.ref_key)
    yes = engaged(spec.kind, spec.url_id, events, now_ms)
    index = spec.yes if yes else spec.no
    outcome = activity.outcomes[index] if index < len(activity.outcomes) else None
    label = outcome.label if outcome is not None else str(index)
    verb = _VERBS.get(spec.kind, "opened")
    link = f" on the link {spec.url_id!r}" if spec.kind == CLICK and spec.url_id is not None else ""
    text = f"Path: {label}: the email {spec.ref_key!r} was {'' if yes else 'not '}{verb}{link} by then."
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity, text)
    )
    return activity.next_of(index), False


def sto_wait(
    plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects
) -> Step:
    """Einstein STO: held until the contact's best hour within the window."""
    request = StoRequest(
        seed=effects.seed, mid=plan.mid, journey_key=plan.key, activity_key=activity.key,
        contact_key=instance.contact_key, arrival_ms=now_ms, window_hours=activity.sto_window_hours,
    )  # fmt: skip
    release = release_ms(effects.sto, request)
    instance.status = WAITING
    instance.due_ms = release
    instance.wait_kind = "sto"
    instance.wait_event_key = None
    instance.wait_started_ms = now_ms
    instance.released_ms = None
    text = (
        f"Released at {iso_utc(release)}: the contact's best hour within {activity.sto_window_hours} hours."
    )
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_WAITING, now_ms, activity, text)
    )
    return None, True


def path_test(
    plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects
) -> Step:
    """Path Optimizer: a random split by percentage while the test runs (counted from the first
    contact's arrival), then the path whose contacts engaged most with their emails."""
    spec = activity.path_test
    assert spec is not None
    state = effects.path_test(plan, activity) if effects.path_test is not None else PathTestState()
    if state.started_ms is None or now_ms < state.started_ms:
        state.started_ms = now_ms
    end = state.started_ms + spec.period_ms
    if spec.automatic and now_ms >= end:
        if state.winner is None:
            state.winner, state.summary = effects.winner(plan, activity, state, end)
            state.decided_ms = end
        index = state.winner
        why = f"the winner at {iso_utc(end)} ({state.summary})"
    else:
        draw = split_draw(effects.seed, plan, instance, activity.key)
        index = next((i for bound, i in spec.split if draw < bound), spec.split[-1][1] if spec.split else 0)
        effects.path_choices.append(
            PathChoice(plan.mid, plan.definition_id, activity.key, instance.id, index, now_ms)
        )
        why = f"testing until {iso_utc(end)}" if spec.automatic else "testing (the winner is picked by hand)"
    outcome = activity.outcomes[index] if index < len(activity.outcomes) else None
    label = outcome.label if outcome is not None else str(index)
    text = f"Path: {label} ({why})"
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity, text)
    )
    return activity.next_of(index), False


def join(plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects) -> Step:
    effects.history.append(history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity))
    return activity.next_of(0), False


def salesforce(
    plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects
) -> Step:
    """What a Salesforce object activity would create or update, into the outbox; the first record's
    made-up id is its out-argument salesforceObjectID."""
    scope = _scope(plan, instance, effects.attributes(instance.contact_key), activity)
    unresolved: list[str] = []
    objects: list[dict[str, Any]] = []
    for index, target in enumerate(activity.salesforce):
        fields: dict[str, Any] = {}
        for item in target.fields:
            if item.processor == PERSON_IN_JOURNEY:
                fields[item.name] = instance.contact_key
            elif item.processor == DATE_CONTACT_ENTERS:
                fields[item.name] = iso_utc(now_ms)
            else:
                fields[item.name] = resolve_value(
                    item.value, scope, strict=effects.strict, unresolved=unresolved
                )
        objects.append({"object": target.type, "action": would(target.action),
                        "id": record_id(instance.id, activity.key, index), "fields": fields})  # fmt: skip
    if objects:
        instance.data.setdefault("interaction", {})[activity.key] = {"salesforceObjectID": objects[0]["id"]}
    subject = "; ".join(f"{o['action']} {o['object']}" for o in objects) or "would do nothing"
    effects.outbox.append(
        OutboxMessage(
            mid=plan.mid, created_ms=now_ms, channel="salesforce", contact_key=instance.contact_key,
            journey_id=plan.journey_id, journey_key=plan.key, version=plan.version,
            definition_id=plan.definition_id, activity_id=activity.id, activity_key=activity.key,
            activity_type=activity.type, activity_name=activity.name, definition_instance_id=instance.id,
            address=instance.contact_key, subject=subject, data={"objects": objects},
        )
    )  # fmt: skip
    text = f"Salesforce: {subject} (recorded in the outbox, nothing was sent)."
    if unresolved:
        text += f" Unresolved bindings (left empty): {', '.join(unresolved)}"
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity, text)
    )
    return activity.next_of(0), False
