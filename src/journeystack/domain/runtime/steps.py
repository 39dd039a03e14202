"""Contact steps: what happens to one contact in one journey version when it enters, when its wait
ends, when it is asked to leave, and when goals are swept. Pure: the engine loads the instances and
the contacts' attributes, runs these functions, and writes what they collected in one transaction.

A step runs activities until the contact reaches a wait, a custom activity (whose call is made
outside the step: `answered` goes on from there), or the end of its path, so between steps a
contact is always waiting, calling (or queued, or gone).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from . import custom
from .binding import BindingScope, UnresolvedBinding, compile_template, resolve_value
from .calls import Call, CallAnswer, branch_of, out_arguments
from .criteria import MISSING
from .effects import C_EXITED_WAIT, _clear_wait, _end, _end_row, _scope, _took, split_draw
from .effects import CALLING as CALLING
from .effects import COMPLETED as COMPLETED
from .effects import EJECTED as EJECTED
from .effects import EXIT_CRITERIA as EXIT_CRITERIA
from .effects import EXITED as EXITED
from .effects import GOAL as GOAL
from .effects import H_ALREADY_IN as H_ALREADY_IN
from .effects import H_COMPLETE as H_COMPLETE
from .effects import H_EJECTED as H_EJECTED
from .effects import H_ENTERED as H_ENTERED
from .effects import H_EXIT_CRITERIA as H_EXIT_CRITERIA
from .effects import H_EXITED as H_EXITED
from .effects import H_FAILED as H_FAILED
from .effects import H_GOAL as H_GOAL
from .effects import H_NOT_MET as H_NOT_MET
from .effects import H_NOT_RUNNING as H_NOT_RUNNING
from .effects import H_PREVIOUSLY_IN as H_PREVIOUSLY_IN
from .effects import H_QUEUED as H_QUEUED
from .effects import H_WAITING as H_WAITING
from .effects import LIVE as LIVE
from .effects import MAX_ACTIVITIES_PER_STEP as MAX_ACTIVITIES_PER_STEP
from .effects import QUEUED as QUEUED
from .effects import WAITING as WAITING
from .effects import Effects as Effects
from .effects import HistoryRow as HistoryRow
from .effects import Instance as Instance
from .effects import OutboxMessage as OutboxMessage
from .effects import StatsDelta as StatsDelta
from .effects import history_row as history_row
from .effects import lookup_fact as lookup_fact
from .plan import Activity, Goal, JourneyPlan, Kind
from .waits import event_key as wait_event_key
from .waits import is_duration, wait_end_ms

log = logging.getLogger("journeystack.runtime")

# --- steps -------------------------------------------------------------------------------------------


def enter(plan: JourneyPlan, instance: Instance, now_ms: int, effects: Effects) -> None:
    """A contact admitted into a running version: the entry row, then its first activities."""
    instance.status = WAITING  # in the journey; the first wait (or the end) sets where
    effects.history.append(history_row(plan, instance, instance.contact_key, H_ENTERED, now_ms, plan.trigger))
    delta = effects.delta(plan.definition_id)
    delta.current += 1
    delta.cumulative += 1
    _run_from(plan, instance, plan.first, now_ms, effects)


def queue(plan: JourneyPlan, instance: Instance, now_ms: int, effects: Effects) -> None:
    """A contact admitted into a Paused version that keeps entries: it starts on resume."""
    instance.status = QUEUED
    instance.due_ms = None
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_QUEUED, now_ms, plan.trigger,
                    "The journey version is paused; the contact enters when it resumes.")
    )  # fmt: skip
    delta = effects.delta(plan.definition_id)
    delta.current += 1
    delta.cumulative += 1


def start_queued(plan: JourneyPlan, instance: Instance, now_ms: int, effects: Effects) -> None:
    """A queued contact of a resumed version: its entry row, then its first activities."""
    effects.history.append(history_row(plan, instance, instance.contact_key, H_ENTERED, now_ms, plan.trigger))
    instance.status = WAITING
    _run_from(plan, instance, plan.first, now_ms, effects)


def wake(plan: JourneyPlan, instance: Instance, now_ms: int, effects: Effects) -> None:
    """An instance the engine took up because it was due: an exit request, or the end of its wait."""
    if not instance.live:
        return
    if instance.exit_requested_ms is not None:
        _end(plan, instance, EXITED, H_EXITED, now_ms, effects, None, "Removed by a contactexit request.")
        return
    if instance.status == QUEUED:
        start_queued(plan, instance, now_ms, effects)
        return
    activity = plan.activities.get(instance.position or "")
    if activity is None:
        _end(plan, instance, EJECTED, H_FAILED, now_ms, effects, None,
             f"The activity {instance.position!r} is not in this version.")  # fmt: skip
        return
    outcome = 0
    message = "The wait ended."
    if activity.wait is not None and activity.wait.kind == "event":
        if instance.released_ms is not None:
            message = f"The event {instance.wait_event_key!r} arrived."
        else:
            outcome = 1 if len(activity.outcomes) > 1 else 0
            message = f"No event {instance.wait_event_key!r} arrived before the wait timed out."
    effects.history.append(
        history_row(
            plan,
            instance,
            instance.contact_key,
            H_COMPLETE,
            now_ms,
            activity,
            message,
            client_status=C_EXITED_WAIT,
        )
    )
    _clear_wait(instance)
    if _goals_and_exits(plan, instance, now_ms, effects, on_wait_exit=True):
        return
    _run_from(plan, instance, activity.next_of(outcome), now_ms, effects)


def sweep(plan: JourneyPlan, instance: Instance, now_ms: int, effects: Effects) -> None:
    """The 24-hour goal and exit-criteria check of a waiting contact."""
    if instance.status == WAITING:
        _goals_and_exits(plan, instance, now_ms, effects, on_wait_exit=False)


def eject(plan: JourneyPlan, instance: Instance, now_ms: int, effects: Effects, message: str) -> None:
    """Remove a live contact at once (its version was stopped)."""
    if instance.live:
        _end(plan, instance, EJECTED, H_EJECTED, now_ms, effects, None, message)


def _goals_and_exits(
    plan: JourneyPlan, instance: Instance, now_ms: int, effects: Effects, *, on_wait_exit: bool
) -> bool:
    """Exit criteria, then goals; True when the contact left the journey."""
    if not plan.goals and not plan.exits:
        return False
    attributes = effects.attributes(instance.contact_key)

    def lookup(key: str) -> Any:
        return lookup_fact(instance, attributes, key)

    for criteria in plan.exits:
        if criteria.evaluate(lookup, now_ms=now_ms):
            effects.delta(plan.definition_id).met_exit += 1
            _end(plan, instance, EXIT_CRITERIA, H_EXIT_CRITERIA, now_ms, effects, None,
                 "The contact met the journey's exit criteria.")  # fmt: skip
            return True
    for goal in plan.goals:
        if not goal.criteria.evaluate(lookup, now_ms=now_ms):
            continue
        if not instance.goal_met:
            instance.goal_met = True
            effects.delta(plan.definition_id).met_goal += 1
            if not goal.is_exit:
                effects.history.append(
                    history_row(plan, instance, instance.contact_key, H_GOAL, now_ms, None, _goal_text(goal))
                )
        if goal.is_exit:
            _end(plan, instance, GOAL, H_GOAL, now_ms, effects, None,
                 _goal_text(goal) + " The goal is an exit criterion: the contact left the journey.")  # fmt: skip
            return True
    del on_wait_exit
    return False


def _goal_text(goal: Goal) -> str:
    return f"The contact met the goal {goal.name or goal.key!r}."


def _run_from(
    plan: JourneyPlan, instance: Instance, start: str | None, now_ms: int, effects: Effects
) -> None:
    """Run activities from `start` until a wait holds the contact or its path ends."""
    key = start
    for _ in range(MAX_ACTIVITIES_PER_STEP):
        if key is None:
            instance.position = None
            instance.status = COMPLETED
            instance.ended_ms = now_ms
            _clear_wait(instance)
            effects.history.append(
                _end_row(plan, instance, now_ms, "The contact reached the end of its path.")
            )
            effects.delta(plan.definition_id).current -= 1
            return
        activity = plan.activities.get(key)
        if activity is None:
            _end(
                plan, instance, EJECTED, H_FAILED, now_ms, effects, None, f"No activity has the key {key!r}."
            )
            return
        instance.position = key
        try:
            next_key, held = _run_activity(plan, instance, activity, now_ms, effects)
        except UnresolvedBinding as unresolved:
            _end(plan, instance, EJECTED, H_FAILED, now_ms, effects, activity,
                 f"The binding {unresolved.expression} could not be resolved (strict binding).")  # fmt: skip
            return
        if held or not instance.live:
            return
        key = next_key
    _end(plan, instance, EJECTED, H_FAILED, now_ms, effects, None,
         f"More than {MAX_ACTIVITIES_PER_STEP} activities ran without reaching a wait.")  # fmt: skip


def _run_activity(
    plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects
) -> tuple[str | None, bool]:
    """Run one activity; returns (the next activity key, whether a wait now holds the contact)."""
    kind = activity.kind
    if kind is Kind.WAIT:
        return _wait(plan, instance, activity, now_ms, effects)
    if kind is Kind.RANDOM_SPLIT:
        draw = split_draw(effects.seed, plan, instance, activity.key)
        index = next((i for bound, i in activity.split if draw < bound), None)
        if index is None:
            index = activity.split[-1][1] if activity.split else 0
        return _took(plan, instance, activity, index, now_ms, effects)
    if kind is Kind.DECISION:
        attributes = effects.attributes(instance.contact_key)

        def lookup(key: str) -> Any:
            return lookup_fact(instance, attributes, key)

        matched = next(
            (
                i
                for i, criteria in activity.decision
                if criteria is not None and criteria.evaluate(lookup, now_ms=now_ms)
            ),
            None,
        )
        if matched is None:
            matched = next((i for i, criteria in activity.decision if criteria is None), None)
        if matched is None:
            effects.history.append(
                history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity,
                            "No path's criteria matched and the split has no remainder path.")
            )  # fmt: skip
            return None, False
        return _took(plan, instance, activity, matched, now_ms, effects)
    if kind is Kind.MESSAGE:
        return _send(plan, instance, activity, now_ms, effects)
    if kind is Kind.UPDATE_CONTACT:
        attributes = effects.attributes(instance.contact_key)
        scope = _scope(plan, instance, attributes, activity)
        for attribute_set, name, template in activity.updates:
            value = template.render(scope, strict=effects.strict)
            attributes.setdefault(attribute_set, {})[name] = value
        effects.changed_contacts.add(instance.contact_key)
        effects.history.append(
            history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity)
        )
        return activity.next_of(0), False
    handler = _CUSTOM.get(kind)
    if handler is not None:
        return handler(plan, instance, activity, now_ms, effects)
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity,
                    f"{activity.type or 'This activity type'} is not simulated by journeystack; "
                    "the contact took its first path.")
    )  # fmt: skip
    return activity.next_of(0), False


_CUSTOM: Final = {
    Kind.CALL: custom.call,
    Kind.ENGAGEMENT: custom.engagement_split,
    Kind.STO: custom.sto_wait,
    Kind.PATH_TEST: custom.path_test,
    Kind.JOIN: custom.join,
    Kind.SALESFORCE: custom.salesforce,
}


def answered(plan: JourneyPlan, instance: Instance, call: Call, answer: CallAnswer, effects: Effects) -> None:
    """A custom activity's call came back: bind its out-arguments and go on from the outcome it
    picks, or eject the contact. Applied at the moment the contact reached the activity (the
    call's due time), so a run on a frozen clock is the same however long the call took. Nothing
    happens when the contact left meanwhile (stopped, exited)."""
    if instance.status != CALLING or instance.position != call.activity_key:
        return
    at = call.due_ms
    activity = plan.activities.get(call.activity_key)
    if activity is None or activity.call is None:
        _end(plan, instance, EJECTED, H_FAILED, at, effects, None,
             f"The activity {call.activity_key!r} is not in this version.")  # fmt: skip
        return
    spec = activity.call
    instance.status = WAITING
    _clear_wait(instance)
    note = f" {call.note}" if call.note else ""
    if not answer.ok:
        if answer.refused is not None:
            text = f"The execute call was not made: {answer.refused}."
        else:
            count = len(answer.attempts)
            text = f"The execute call failed after {count} attempt{'s' if count != 1 else ''} ({answer.describe()})"
            text += f"; the answer began: {answer.excerpt}" if answer.excerpt else ""
            text += "."
        _end(
            plan,
            instance,
            EJECTED,
            H_FAILED,
            at,
            effects,
            activity,
            text + " The contact left the journey." + note,
        )
        return
    instance.data.setdefault("interaction", {})[activity.key] = out_arguments(answer.body)
    index = 0
    text = f"Answered: {answer.describe()}."
    if spec.decision:
        picked, why = branch_of(spec, answer.body)
        if picked is None:
            _end(plan, instance, EJECTED, H_FAILED, at, effects, activity,
                 f"Answered: {answer.describe()}, but {why} and the split has no remainder path: the contact "
                 f"left the journey.{note}")  # fmt: skip
            return
        index = picked
        outcome = activity.outcomes[index] if index < len(activity.outcomes) else None
        text += f" Path: {outcome.label if outcome is not None else index} ({why})."
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, at, activity, text + note)
    )
    _run_from(plan, instance, activity.next_of(index), at, effects)


def _wait(
    plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects
) -> tuple[str | None, bool]:
    spec = activity.wait
    assert spec is not None
    attributes = effects.attributes(instance.contact_key)
    scope = _scope(plan, instance, attributes, activity)

    def resolve(expression: str) -> object:
        return compile_template(expression).render(scope, strict=False)

    end = wait_end_ms(spec, now_ms, resolve)
    if end <= now_ms and spec.kind != "event":
        effects.history.append(
            history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity,
                        "The wait's end had already passed.")
        )  # fmt: skip
        return activity.next_of(0), False
    instance.status = WAITING
    instance.due_ms = max(end, now_ms)
    instance.wait_kind = "duration" if is_duration(spec) else spec.kind
    instance.wait_event_key = wait_event_key(spec)
    instance.wait_started_ms = now_ms
    instance.released_ms = None
    effects.history.append(history_row(plan, instance, instance.contact_key, H_WAITING, now_ms, activity))
    return None, True


def _send(
    plan: JourneyPlan, instance: Instance, activity: Activity, now_ms: int, effects: Effects
) -> tuple[str | None, bool]:
    message = activity.message
    assert message is not None
    attributes = effects.attributes(instance.contact_key)
    scope = _scope(plan, instance, attributes, activity)
    strict = effects.strict
    unresolved: list[str] = []
    address = _address(message.channel, scope, instance)
    if not address:
        what = {"email": "email address", "sms": "mobile number"}.get(message.channel, "address")
        _end(plan, instance, EJECTED, H_FAILED, now_ms, effects, activity,
             f"The contact has no {what}: a hard error, so the contact left the journey.")  # fmt: skip
        return None, False
    subject = message.subject.render(scope, strict=strict, unresolved=unresolved) if message.subject else None
    data = resolve_value(message.arguments, scope, strict=strict, unresolved=unresolved)
    effects.outbox.append(
        OutboxMessage(
            mid=plan.mid, created_ms=now_ms, channel=message.channel, contact_key=instance.contact_key,
            journey_id=plan.journey_id, journey_key=plan.key, version=plan.version,
            definition_id=plan.definition_id, activity_id=activity.id, activity_key=activity.key,
            activity_type=activity.type, activity_name=activity.name, definition_instance_id=instance.id,
            address=address, subject=None if subject is None else str(subject), data=data,
        )
    )  # fmt: skip
    text = f"Unresolved bindings (left empty): {', '.join(unresolved)}" if unresolved else None
    if unresolved:
        log.debug("unresolved bindings in %s for %s: %s", activity.key, instance.contact_key, unresolved)
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity, text)
    )
    return activity.next_of(0), False


_ADDRESS_SOURCES: Final = {
    "email": ("{{InteractionDefaults.Email}}", "{{Contact.Default.Email}}"),
    "sms": (
        "{{InteractionDefaults.MobileNumber}}",
        "{{Contact.Default.MobileNumber}}",
        "{{Contact.Default.PhoneNumber}}",
    ),
}


def _address(channel: str, scope: BindingScope, instance: Instance) -> str:
    """The address a message goes to: the journey's default (entry data or contact), then the
    contact's own; a push goes to the contact key."""
    if channel == "push":
        return instance.contact_key
    for source in _ADDRESS_SOURCES.get(channel, ()):
        value = compile_template(source).render(scope, strict=False)
        if value not in (None, "") and value is not MISSING:
            return str(value)
    return ""
