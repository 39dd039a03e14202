"""Contact steps: what happens to one contact in one journey version when it enters, when its wait
ends, when it is asked to leave, and when goals are swept. Pure: the engine loads the instances and
the contacts' attributes, runs these functions, and writes what they collected in one transaction.

A step runs activities until the contact reaches a wait or the end of its path, so between steps a
contact is always waiting (or queued, or gone).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from .binding import BindingScope, UnresolvedBinding, compile_template, resolve_value
from .criteria import MISSING
from .plan import Activity, Goal, JourneyPlan, Kind, Trigger
from .waits import event_key as wait_event_key
from .waits import is_duration, wait_end_ms

log = logging.getLogger("journeystack.runtime")

# Instance statuses. Live: QUEUED (entered a paused version that keeps entries), WAITING. Ended: the rest.
QUEUED: Final = "Queued"
WAITING: Final = "Waiting"
COMPLETED: Final = "Completed"
EJECTED: Final = "Ejected"
EXITED: Final = "Exited"
GOAL: Final = "MetGoal"
EXIT_CRITERIA: Final = "MetExitCriteria"
LIVE: Final = frozenset({QUEUED, WAITING})

# History statuses and client statuses, in the vocabulary of SFMC's journey history (real exports;
# docs/runtime.md lists what each means and which ones are journeystack's own).
H_ENTERED: Final = "MetCriteria"
H_NOT_MET: Final = "DidNotMeetEntryCriteria"
H_PREVIOUSLY_IN: Final = "ContactPreviouslyInSameInteraction"
H_ALREADY_IN: Final = "ContactAlreadyInInteraction"
H_NOT_RUNNING: Final = "InteractionNotPublished"
H_QUEUED: Final = "Queued"
H_COMPLETE: Final = "Complete"
H_WAITING: Final = "Waiting"
H_FAILED: Final = "Failed"
H_EJECTED: Final = "Ejected"
H_EXITED: Final = "Exited"
H_GOAL: Final = "MetGoalCriteria"
H_EXIT_CRITERIA: Final = "MetExitCriteria"
C_SUCCESS: Final = "Success"
C_ENTERED_WAIT: Final = "EnteredWait"
C_EXITED_WAIT: Final = "ExitedWait"
C_WARNING: Final = "Warning"
C_ERROR: Final = "Error"
_CLIENT_STATUS: Final = {H_WAITING: C_ENTERED_WAIT, H_FAILED: C_ERROR, H_NOT_MET: C_WARNING,
                         H_PREVIOUSLY_IN: C_WARNING, H_ALREADY_IN: C_WARNING, H_NOT_RUNNING: C_WARNING}  # fmt: skip

# Where a contact's path ends (SFMC writes a "Stop" activity row of type StopInteractionActivity).
END_TYPE: Final = "StopInteractionActivity"
END_NAME: Final = "Stop"

# Activities run in one step before the engine gives up on a path that never reaches a wait. Publish
# refuses loops, so only a very long chain can reach it.
MAX_ACTIVITIES_PER_STEP: Final = 2_000


@dataclass(slots=True)
class Instance:
    """One contact's pass through one journey version, as the engine works on it."""

    id: str
    mid: int
    journey_id: str
    definition_id: str
    version: int
    journey_key: str
    contact_key: str
    event_instance_id: str
    entry_number: int
    status: str
    position: str | None
    due_ms: int | None
    data: dict[str, Any]
    entered_ms: int
    held_due_ms: int | None = None
    wait_kind: str | None = None
    wait_event_key: str | None = None
    wait_started_ms: int | None = None
    released_ms: int | None = None
    exit_requested_ms: int | None = None
    goal_met: bool = False
    ended_ms: int | None = None
    reason: str | None = None

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True, slots=True)
class HistoryRow:
    mid: int
    transaction_ms: int
    contact_key: str
    status: str
    client_status: str
    journey_id: str
    definition_id: str
    journey_key: str
    version: int
    definition_name: str
    activity_id: str | None
    activity_key: str | None
    activity_name: str | None
    activity_type: str | None
    definition_instance_id: str | None
    event_instance_id: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    mid: int
    created_ms: int
    channel: str
    contact_key: str
    journey_id: str
    journey_key: str
    version: int
    definition_id: str
    activity_id: str
    activity_key: str
    activity_type: str
    activity_name: str
    definition_instance_id: str
    address: str
    subject: str | None
    data: Any


@dataclass(slots=True)
class StatsDelta:
    current: int = 0
    cumulative: int = 0
    met_goal: int = 0
    met_exit: int = 0


AttributeSets = MutableMapping[str, MutableMapping[str, Any]]


@dataclass(slots=True)
class Effects:
    """What a batch of steps did, for the engine to write; `attributes(contact_key)` gives the
    contact's attribute sets (loaded once per batch, and changed in place by Update Contact)."""

    attributes: Callable[[str], AttributeSets]
    seed: int = 0
    strict: bool = False
    history: list[HistoryRow] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    changed_contacts: set[str] = field(default_factory=set)
    stats: dict[str, StatsDelta] = field(default_factory=dict)

    def delta(self, definition_id: str) -> StatsDelta:
        found = self.stats.get(definition_id)
        if found is None:
            found = self.stats[definition_id] = StatsDelta()
        return found


def history_row(
    plan: JourneyPlan,
    instance: Instance | None,
    contact_key: str,
    status: str,
    at_ms: int,
    where: Activity | Trigger | None,
    message: str | None = None,
    event_instance_id: str | None = None,
    client_status: str | None = None,
) -> HistoryRow:
    return HistoryRow(
        mid=plan.mid,
        transaction_ms=at_ms,
        contact_key=contact_key,
        status=status,
        client_status=client_status or _CLIENT_STATUS.get(status, C_SUCCESS),
        journey_id=plan.journey_id,
        definition_id=plan.definition_id,
        journey_key=plan.key,
        version=plan.version,
        definition_name=plan.name,
        activity_id=where.id if where is not None else None,
        activity_key=where.key if where is not None else None,
        activity_name=where.name if where is not None else None,
        activity_type=(where.type if isinstance(where, Activity) else "Trigger")
        if where is not None
        else None,
        definition_instance_id=instance.id if instance is not None else None,
        event_instance_id=instance.event_instance_id if instance is not None else event_instance_id,
        message=message,
    )


def _end_row(plan: JourneyPlan, instance: Instance, at_ms: int, message: str) -> HistoryRow:
    row = history_row(plan, instance, instance.contact_key, H_COMPLETE, at_ms, None, message)
    return replace(row, activity_type=END_TYPE, activity_name=END_NAME)


# --- facts: what criteria and bindings read -------------------------------------------------------


def _field(fields: Mapping[str, Any], name: str) -> Any:
    if name in fields:
        return fields[name]
    lowered = name.lower()  # data extension field names are case-insensitive in SFMC
    for candidate, value in fields.items():
        if candidate.lower() == lowered:
            return value
    return MISSING


def lookup_fact(instance: Instance, attributes: Mapping[str, Mapping[str, Any]], key: str) -> Any:
    """The value a criteria Key names: `Event.<eventKey>.<Field>` reads the journey data frozen at
    entry (and data of released Wait Until API Events); `<AttributeSet>.<Field>` reads the contact's
    current attributes."""
    head, _, rest = key.partition(".")
    if not rest:
        return MISSING
    if head == "Event":
        event, _, name = rest.partition(".")
        events: Mapping[str, Mapping[str, Any]] = instance.data.get("event", {})
        fields = events.get(event)
        if fields is None:
            return MISSING
        return _field(fields, name.strip('"'))
    fields = attributes.get(head)
    if fields is None:
        lowered = head.lower()
        fields = next((v for k, v in attributes.items() if k.lower() == lowered), None)
    return MISSING if fields is None else _field(fields, rest.strip('"'))


def _scope(
    plan: JourneyPlan, instance: Instance, attributes: Mapping[str, Any], activity: Activity | None
) -> BindingScope:
    return BindingScope(
        contact_key=instance.contact_key,
        event_data=instance.data.get("event", {}),
        contact_attributes=attributes,
        interaction_defaults=plan.defaults,
        context={
            "ContactKey": instance.contact_key,
            "DefinitionId": plan.definition_id,
            "DefinitionInstanceId": instance.id,
            "ExecutionMode": "Production",
            "StartActivityKey": plan.first or "",
            "VersionNumber": plan.version,
            "LastExecutedActivityKey": instance.position or "",
            "PublicationId": plan.definition_id,
        },
        interaction=instance.data.get("interaction", {}),
        activity_id=activity.id if activity is not None else None,
    )


# --- the random source of splits -------------------------------------------------------------------


def split_draw(seed: int, plan: JourneyPlan, instance: Instance, activity_key: str) -> float:
    """A number in [0, 100) for one contact at one random split: a hash of the server's seed and of
    what identifies the contact's pass (journey key, version, contact key, entry number), so a run
    is repeatable whatever order, process or store the steps run in."""
    text = f"{seed}\x1f{plan.key}\x1f{plan.version}\x1f{instance.contact_key}\x1f{instance.entry_number}\x1f{activity_key}"
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * 100


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


def _clear_wait(instance: Instance) -> None:
    instance.due_ms = None
    instance.held_due_ms = None
    instance.wait_kind = None
    instance.wait_event_key = None
    instance.wait_started_ms = None
    instance.released_ms = None


def _end(
    plan: JourneyPlan,
    instance: Instance,
    status: str,
    history_status: str,
    now_ms: int,
    effects: Effects,
    where: Activity | None,
    message: str,
) -> None:
    was_live = instance.live
    instance.status = status
    instance.ended_ms = now_ms
    instance.reason = message
    _clear_wait(instance)
    instance.exit_requested_ms = None
    effects.history.append(
        history_row(plan, instance, instance.contact_key, history_status, now_ms, where, message)
    )
    if was_live:
        effects.delta(plan.definition_id).current -= 1


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
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity,
                    f"{activity.type or 'This activity type'} is not simulated by journeystack; "
                    "the contact took its first path.")
    )  # fmt: skip
    return activity.next_of(0), False


def _took(
    plan: JourneyPlan, instance: Instance, activity: Activity, index: int, now_ms: int, effects: Effects
) -> tuple[str | None, bool]:
    outcome = activity.outcomes[index] if index < len(activity.outcomes) else None
    label = outcome.label if outcome is not None else str(index)
    effects.history.append(
        history_row(plan, instance, instance.contact_key, H_COMPLETE, now_ms, activity, f"Path: {label}")
    )
    return activity.next_of(index), False


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
